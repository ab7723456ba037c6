import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server exposes: Prometheus text and its content type. */
export interface MetricsSource {
  readonly contentType: string;
  text(): Promise<string>;
}

export interface MetricsServer {
  /** http://127.0.0.1:<port>/metrics, with the port the system chose when asked for 0. */
  readonly url: string;
  close(): Promise<void>;
}

/** The port could not be bound (in use, not allowed): bad input, not a failed run. */
export class MetricsServerError extends Error {}

/**
 * Serves GET /metrics on loopback only (a run's numbers are for the machine running it; a remote scraper goes
 * through a tunnel or a sidecar), port 0 for any free port.
 */
export async function serveMetrics(port: number, source: MetricsSource): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('certfleet serves /metrics\n');
      return;
    }
    source.text().then(
      (text) => response.writeHead(200, { 'content-type': source.contentType }).end(text),
      (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new MetricsServerError(`cannot serve metrics on 127.0.0.1:${port}: ${error.code ?? error.message}`)));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        // A scraper's keep-alive connection would hold the server open past the run.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
