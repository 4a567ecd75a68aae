/**
 * Mock overseas recipients, one per registered destination, on 127.0.0.1 with a free port each,
 * and a copy of the repository's policy whose destinations point at them. The placeholders of
 * policies/destinations.yaml (127.0.0.1:9101…) are fixed ports; a free port per run is what lets
 * the demo run inside `npm test` beside other servers.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { XborderError } from '../../src/errors.ts';

export interface Delivered {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Recipient {
  destination: string;
  origin: string;
  /** What reached this recipient, by request path. */
  received: Map<string, Delivered[]>;
}

export interface Recipients {
  byDestination: Map<string, Recipient>;
  close(): Promise<void>;
}

export async function startRecipients(destinations: readonly string[]): Promise<Recipients> {
  const servers: ReturnType<typeof createServer>[] = [];
  const byDestination = new Map<string, Recipient>();
  for (const destination of destinations) {
    const received = new Map<string, Delivered[]>();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '';
        const list = received.get(path) ?? [];
        list.push({ method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        received.set(path, list);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ received: true, recipient: destination }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    servers.push(server);
    const { port } = server.address() as AddressInfo;
    byDestination.set(destination, { destination, origin: `http://127.0.0.1:${port}`, received });
  }
  return {
    byDestination,
    close: async function closeRecipients() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}

/** The destination ids of a policy folder's destinations.yaml, in file order. */
export async function destinationIds(policyRoot: string): Promise<string[]> {
  const document = parseDocument(await readFile(join(policyRoot, 'policies', 'destinations.yaml'), 'utf8'));
  const list = document.get('destinations');
  if (!isSeq(list)) throw new XborderError('XB_ERR_POLICY_INVALID', 'destinations.yaml has no destinations list');
  return list.items.map((item) => (isMap(item) ? String(item.get('id')) : ''));
}

/**
 * Copies `policies/` and `negative-list/` under `target` and rewrites each destination's
 * upstream to its recipient's origin; comments and everything else stay as they are.
 */
export async function copyPolicyWithRecipients(policyRoot: string, target: string, recipients: Recipients): Promise<string> {
  await cp(join(policyRoot, 'policies'), join(target, 'policies'), { recursive: true });
  await cp(join(policyRoot, 'negative-list'), join(target, 'negative-list'), { recursive: true });
  const file = join(target, 'policies', 'destinations.yaml');
  const document = parseDocument(await readFile(file, 'utf8'));
  const list = document.get('destinations');
  if (!isSeq(list)) throw new XborderError('XB_ERR_POLICY_INVALID', 'destinations.yaml has no destinations list');
  for (const item of list.items) {
    if (!isMap(item)) continue;
    const recipient = recipients.byDestination.get(String(item.get('id')));
    if (!recipient) throw new XborderError('XB_ERR_POLICY_INVALID', `no mock recipient for destination ${String(item.get('id'))}`);
    item.set('upstream', recipient.origin);
  }
  await writeFile(file, document.toString());
  return target;
}
