/**
 * `xborder serve`: the gateway as a process. SIGHUP reloads the policy (a bad one is refused
 * and logged, the old one keeps serving); SIGTERM and SIGINT stop accepting, let transfers in
 * flight finish, flush the audit log, and exit 0.
 */
import { createGateway, type Gateway, type GatewayOptions } from './app.ts';

export interface Serving {
  gateway: Gateway;
  url: string;
  /** Resolves once the gateway stopped after a signal (or `stop()`). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

export async function serve(options: GatewayOptions = {}): Promise<Serving> {
  const gateway = await createGateway(options);
  const { url } = await gateway.start();
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const onHangup = () => {
    gateway.reload().catch(() => {
      // Logged by reloadPolicy; the active policy is unchanged.
    });
  };
  const stop = async () => {
    process.off('SIGHUP', onHangup);
    process.off('SIGTERM', onTerminate);
    process.off('SIGINT', onTerminate);
    await gateway.stop();
    resolveStopped();
  };
  const onTerminate = () => {
    void stop();
  };
  process.on('SIGHUP', onHangup);
  process.on('SIGTERM', onTerminate);
  process.on('SIGINT', onTerminate);
  return { gateway, url, stopped, stop };
}
