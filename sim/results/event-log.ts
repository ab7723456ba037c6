import { createWriteStream, type WriteStream } from 'node:fs';
import type { FleetEvent } from '../events/fleet-event.js';

/** The raw event stream, one JSON object per line, each with an ISO copy of its true time and the device's cohort. */
export class EventLog {
  readonly #stream: WriteStream;
  #lines = 0;

  constructor(file: string) {
    this.#stream = createWriteStream(file, { flags: 'w' });
  }

  get lines(): number {
    return this.#lines;
  }

  write(event: FleetEvent, cohort: string | undefined): void {
    const line = { time: new Date(event.t).toISOString(), ...event, ...(cohort === undefined ? {} : { cohort }) };
    this.#lines += 1;
    this.#stream.write(`${JSON.stringify(line)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.#stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
