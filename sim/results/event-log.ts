import { createWriteStream, type WriteStream } from 'node:fs';
import type { FleetEvent } from '../events/fleet-event.js';
import { cutAtLastCompleteLine } from './ndjson-tail.js';
import { OutputWriteError } from './write-failure.js';

/**
 * The raw event stream, one JSON object per line, each with an ISO copy of its true time and the device's cohort, in
 * simulated-time order: events arrive from many workers and the broker in whatever order their messages do, so they
 * wait here until the coordinator says every event before a time is in (`flushUntil`), and go out sorted by time
 * (stable: one device's events keep the order they happened in). A reader may take the first failure off the top.
 * A write that fails (a full disk, an I/O error) is reported once through `onFailure` and stops the stream; on close
 * the file is cut after its last complete line, so what was written stays valid NDJSON.
 */
export class EventLog {
  readonly #file: string;
  readonly #stream: WriteStream;
  readonly #onFailure: (error: OutputWriteError) => void;
  #failure: OutputWriteError | undefined;
  #lines = 0;
  /** Events not yet written: their time may still be preceded by an event that has not arrived. */
  #pending: { t: number; line: string }[] = [];

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
    this.#pending.push({ t: event.t, line: `${JSON.stringify(line)}\n` });
  }

  /** Writes, in time order, every waiting event before true time `t`: the run has no more of them to come. */
  flushUntil(t: number): void {
    if (this.#pending.length === 0) return;
    const due = this.#pending.filter((e) => e.t < t);
    if (due.length === 0) return;
    this.#pending = this.#pending.filter((e) => e.t >= t);
    this.#writeSorted(due);
  }

  #writeSorted(events: { t: number; line: string }[]): void {
    if (this.#failure) return;
    events.sort((a, b) => a.t - b.t);
    this.#stream.write(events.map((e) => e.line).join(''));
  }

  /** Flushes and closes the stream; rejects with the write failure, if any, once the file is cut at a line. */
  async close(): Promise<void> {
    const rest = this.#pending;
    this.#pending = [];
    this.#writeSorted(rest);
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
