/**
 * The request as the transfer pipeline sees it, taken from the Node request when the app runs
 * under @hono/node-server (raw target before URL normalisation, body as a Node stream, no
 * Web Request copies on the hot path), or from the Web Request otherwise (`app.request` tests).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';

export interface Exchange {
  method: string;
  /** The request target exactly as received (path and query), never normalised. */
  rawTarget: string;
  headers: IncomingHttpHeaders;
  remoteAddress: string | undefined;
  body: AsyncIterable<Uint8Array> | null;
  /** What to return once `stream` has started writing, even if it then failed. */
  afterStream: Response;
  /** Sends a streamed answer; resolves with the bytes written once the stream ended. */
  stream(status: number, headers: Record<string, string | string[]>, body: Readable): Promise<{ bytes: number; response: Response }>;
}

export interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

/** The request target as received (Node), or the Web Request's path and query. */
export function rawTargetOf(c: Context<{ Bindings: NodeBindings }>): string {
  const raw = c.env?.incoming?.url;
  if (raw !== undefined) return raw;
  const url = new URL(c.req.raw.url);
  return `${url.pathname}${url.search}`;
}

export function exchangeOf(c: Context<{ Bindings: NodeBindings }>): Exchange {
  const incoming = c.env?.incoming;
  const outgoing = c.env?.outgoing;
  if (incoming && outgoing) {
    return {
      method: incoming.method ?? 'GET',
      rawTarget: incoming.url ?? '/',
      headers: incoming.headers,
      remoteAddress: incoming.socket.remoteAddress,
      body: incoming.method === 'GET' || incoming.method === 'HEAD' ? null : incoming,
      afterStream: RESPONSE_ALREADY_SENT,
      stream: (status, headers, body) => streamToNode(outgoing, status, headers, body),
    };
  }
  const request = c.req.raw;
  const url = new URL(request.url);
  const headers: IncomingHttpHeaders = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return {
    method: request.method,
    rawTarget: `${url.pathname}${url.search}`,
    headers,
    remoteAddress: undefined,
    body: request.body ? (Readable.fromWeb(request.body as never) as AsyncIterable<Uint8Array>) : null,
    afterStream: new Response(null, { status: 502 }),
    stream: async (status, responseHeaders, body) => {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      const buffer = Buffer.concat(chunks);
      const list: [string, string][] = [];
      for (const [name, value] of Object.entries(responseHeaders)) {
        for (const item of Array.isArray(value) ? value : [value]) list.push([name, item]);
      }
      return { bytes: buffer.length, response: new Response(status === 204 || status === 304 ? null : buffer, { status, headers: list }) };
    },
  };
}

function streamToNode(
  outgoing: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: Readable,
): Promise<{ bytes: number; response: Response }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    outgoing.writeHead(status, headers);
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!outgoing.write(chunk)) {
        body.pause();
        outgoing.once('drain', () => body.resume());
      }
    });
    body.once('end', () => {
      outgoing.end(() => resolve({ bytes, response: RESPONSE_ALREADY_SENT }));
    });
    body.once('error', (error) => {
      // Headers are out: the only honest signal left is to cut the connection.
      outgoing.destroy(error);
      reject(Object.assign(error, { bytesWritten: bytes }));
    });
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) {
        body.destroy();
        reject(Object.assign(new Error('the caller closed the connection'), { bytesWritten: bytes }));
      }
    });
  });
}
