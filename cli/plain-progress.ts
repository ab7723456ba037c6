/**
 * Progress off a terminal (CI logs, pipes, `2> file`): a plain line on stderr every `everyMs` of wall time, whether or
 * not an epoch finished meanwhile, so a long run is never silent for minutes. A terminal gets the redrawn bar instead.
 */
export class PlainProgress {
  readonly #write: (line: string) => void;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #startedAt = Date.now();
  #fraction = 0;
  #text = 'starting';
  #epochSeen = false;

  constructor(write: (line: string) => void, enabled: boolean, everyMs = 15_000) {
    this.#write = write;
    // unref: a progress line never keeps the process alive.
    this.#timer = enabled ? setInterval(() => this.#print(), everyMs).unref() : undefined;
  }

  update(fraction: number, text: string): void {
    this.#fraction = fraction;
    this.#text = text;
    this.#epochSeen = true;
  }

  /**
   * What the run is doing before its first epoch ends (manufacturing, starting the devices, the first connect storm,
   * which takes minutes for a large fleet): a line then says that rather than "starting".
   */
  stage(text: string): void {
    if (!this.#epochSeen) this.#text = text;
  }

  done(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  #print(): void {
    const seconds = Math.round((Date.now() - this.#startedAt) / 1000);
    const elapsed = seconds >= 60 ? `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
    this.#write(`certfleet: progress ${(this.#fraction * 100).toFixed(0)}% after ${elapsed}: ${this.#text}\n`);
  }
}
