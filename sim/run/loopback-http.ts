import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP endpoint of the harness on loopback: its URL, and a close that does not wait for keep-alive clients. */
export interface LoopbackEndpoint {
  /** http://127.0.0.1:<port><path>, with the port the system chose when asked for 0. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Binds the server on 127.0.0.1 only (what the harness serves is for the machine running it); rejects with the
 * listen error (a port in use, not allowed) for the caller to name.
 */
export async function listenOnLoopback(server: Server, port: number, path: string): Promise<LoopbackEndpoint> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        // A keep-alive connection (a scraper, curl) would hold the server open past the run.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
