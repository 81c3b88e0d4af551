/**
 * Puts the app on a socket: refuses a network-facing bind without an API key, recovers the
 * job records of a previous process, then listens. `port: 0` picks a free port (tests).
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createServer, type OpenbookServer, type ServerOptions } from './app.js';
import { assertSafeBind } from './security.js';

export interface RunningServer {
  server: OpenbookServer;
  /** `http://host:port` as bound (IPv6 hosts bracketed). */
  url: string;
  port: number;
  /** Stops accepting connections and resolves when open ones have ended. */
  close(): Promise<void>;
}

/**
 * Starts openbook's HTTP server on `options.server.host`:`options.server.port`.
 * @throws InsecureBindError when the host is not loopback and `server.apiKey` is unset
 */
export async function listen(options: ServerOptions): Promise<RunningServer> {
  const { host, port, apiKey } = options.server;
  assertSafeBind(host, apiKey);
  const server = createServer(options);
  const interrupted = await server.jobs.recover();
  if (interrupted.length > 0) options.log?.(`marked ${interrupted.length} job(s) interrupted by the last shutdown as failed`);
  // Open the index now, so the first request does not pay for loading it (no index yet is fine).
  await server.engines.get().catch((err: unknown) => {
    if ((err as { code?: string }).code !== 'INDEX_NOT_FOUND') throw err;
  });
  let closer: () => Promise<void> = async () => {};
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    const s = serve({ fetch: server.app.fetch, hostname: host, port }, (addr) => resolve(addr));
    s.once('error', reject);
    closer = () =>
      new Promise<void>((res) => {
        s.close(() => res());
        (s as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
  });
  const shownHost = info.address.includes(':') ? `[${info.address}]` : info.address;
  return { server, url: `http://${shownHost}:${info.port}`, port: info.port, close: () => closer() };
}
