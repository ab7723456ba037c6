import { createWriteStream, type WriteStream } from 'node:fs';
import type { FleetEvent } from '../events/fleet-event.js';
import { cutAtLastCompleteLine } from './ndjson-tail.js';
import { OutputWriteError } from './write-failure.js';

/**
 * The raw event stream, one JSON object per line, each with an ISO copy of its true time and the device's cohort.
 * A write that fails (a full disk, an I/O error) is reported once through `onFailure` and stops the stream; on close
 * the file is cut after its last complete line, so what was written stays valid NDJSON.
 */
export class EventLog {
  readonly #file: string;
  readonly #stream: WriteStream;
  readonly #onFailure: (error: OutputWriteError) => void;
  #failure: OutputWriteError | undefined;
  #lines = 0;

  constructor(file: string, onFailure: (error: OutputWriteError) => void = () => undefined) {
    this.#file = file;
    this.#onFailure = onFailure;
    this.#stream = createWriteStream(file, { flags: 'w' });
    // Without a listener a stream error is an uncaught exception that ends the process with no summary.
    this.#stream.on('error', (error) => this.#fail(error));
  }

  get lines(): number {
    return this.#lines;
  }

  /** The write that failed, if one did. */
  get failure(): OutputWriteError | undefined {
    return this.#failure;
  }

  write(event: FleetEvent, cohort: string | undefined): void {
    if (this.#failure) return;
    const line = { time: new Date(event.t).toISOString(), ...event, ...(cohort === undefined ? {} : { cohort }) };
    this.#lines += 1;
    this.#stream.write(`${JSON.stringify(line)}\n`);
  }

  /** Flushes and closes the stream; rejects with the write failure, if any, once the file is cut at a line. */
  async close(): Promise<void> {
    // 'close' comes last, after 'finish' or after 'error' (a write that fails while flushing): wait for it.
    await new Promise<void>((resolve) => {
      if (this.#stream.closed) resolve();
      else this.#stream.once('close', () => resolve());
      if (!this.#failure) this.#stream.end();
    });
    if (this.#failure) {
      await cutAtLastCompleteLine(this.#file).catch(() => undefined);
      throw this.#failure;
    }
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = new OutputWriteError(this.#file, error);
    this.#stream.destroy();
    this.#onFailure(this.#failure);
  }
}
