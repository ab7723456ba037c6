import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readClockMove, type ClockMove } from './clock-move.js';
import { listenOnLoopback, type LoopbackEndpoint } from './loopback-http.js';
import { formatLiveSpeed, type ClockState } from './live-clock.js';

/** What the endpoint moves: the clock as the broker reads it, and a move carried out (events applied) before it answers. */
export interface ControlledClock {
  read(): ClockState;
  move(move: ClockMove): Promise<ClockState>;
}

/** The endpoint: http://127.0.0.1:<port>/clock. */
export type ClockControl = LoopbackEndpoint;

/** A body far larger than any clock move is refused before it is read whole. */
const MAX_BODY_BYTES = 4096;

/**
 * The standalone broker's clock control on loopback: `GET /clock` answers `{time, t, speed}`; `POST /clock` with
 * `{"at": ISO}`, `{"advance": "90s"}` and/or `{"speed": "1h/s"}` moves it and answers once the broker is at the new
 * time (its due events applied). A bad body gets 400 and `{"error": "<one line>"}`. Loopback only: whoever can reach
 * it decides the time every client is judged at.
 */
export async function serveClockControl(clock: ControlledClock, port = 0): Promise<ClockControl> {
  const server = createServer((request, response) => {
    handle(clock, request, response).catch((error: unknown) => reply(response, 500, { error: oneLine(error) }));
  });
  return listenOnLoopback(server, port, '/clock');
}

async function handle(clock: ControlledClock, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '').split('?')[0];
  if (path !== '/clock') {
    reply(response, 404, { error: 'the clock control serves /clock only' });
    return;
  }
  if (request.method === 'GET') {
    reply(response, 200, describeClock(clock.read()));
    return;
  }
  if (request.method !== 'POST') {
    response.setHeader('allow', 'GET, POST');
    reply(response, 405, { error: `${request.method ?? 'this method'} is not served: GET reads the clock, POST moves it` });
    return;
  }
  const text = await readBody(request);
  if (text === undefined) {
    reply(response, 413, { error: `the body is larger than ${MAX_BODY_BYTES} bytes; a clock move is a small JSON object` });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    reply(response, 400, { error: 'the body is not JSON (RFC 8259): expected {"at": "2030-01-01T00:00:00Z"} or {"advance": "90s"}' });
    return;
  }
  const move = readClockMove(body);
  if ('problem' in move) {
    reply(response, 400, { error: move.problem });
    return;
  }
  let moved: ClockState;
  try {
    moved = await clock.move(move);
  } catch (error) {
    // Only LiveClock's own checks throw RangeError: a time beyond what a date holds.
    if (error instanceof RangeError) {
      reply(response, 400, { error: error.message });
      return;
    }
    throw error;
  }
  reply(response, 200, describeClock(moved));
}

/** The clock as the endpoint and `certfleet clock` report it. */
export function describeClock(state: ClockState): { time: string; t: number; speed: string } {
  return { time: new Date(state.t).toISOString(), t: state.t, speed: formatLiveSpeed(state.speed) };
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: object): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 300) ?? 'failed';
}
