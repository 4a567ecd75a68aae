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
  // The handlers stay installed until the gateway has stopped: without a listener, Node's default
  // action for SIGHUP and SIGTERM is to end the process at once, so a reload or a repeated SIGTERM
  // arriving during the drain would cut the transfers in flight and the audit flush.
  const onHangup = () => {
    if (gateway.context.state.shuttingDown) {
      gateway.context.logger.warn('SIGHUP while shutting down: the policy is not reloaded');
      return;
    }
    gateway.reload().catch(() => {
      // Logged by reloadPolicy; the active policy is unchanged.
    });
  };
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      try {
        await gateway.stop();
      } finally {
        process.off('SIGHUP', onHangup);
        process.off('SIGTERM', onTerminate);
        process.off('SIGINT', onTerminate);
      }
      resolveStopped();
    })();
    return stopping;
  };
  const onTerminate = (signal: NodeJS.Signals) => {
    if (stopping) gateway.context.logger.warn({ signal }, 'already stopping: transfers in flight finish within shutdownGraceMs');
    void stop();
  };
  process.on('SIGHUP', onHangup);
  process.on('SIGTERM', onTerminate);
  process.on('SIGINT', onTerminate);
  return { gateway, url, stopped, stop };
}
