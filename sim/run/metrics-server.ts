import { createServer } from 'node:http';
import { listenOnLoopback, type LoopbackEndpoint } from './loopback-http.js';

/** What the server exposes: Prometheus text and its content type. */
export interface MetricsSource {
  readonly contentType: string;
  text(): Promise<string>;
}

/** The endpoint: http://127.0.0.1:<port>/metrics. */
export type MetricsServer = LoopbackEndpoint;

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
  try {
    return await listenOnLoopback(server, port, '/metrics');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new MetricsServerError(`cannot serve metrics on 127.0.0.1:${port}: ${code ?? message}`);
  }
}
