/**
 * One line on stderr, redrawn in place: the simulated date, how far the run is, how the fleet is doing.
 * Only on a terminal; elsewhere (CI logs, pipes) it stays silent.
 */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #lastDraw = 0;

  constructor(stream: NodeJS.WriteStream, enabled: boolean) {
    this.#stream = stream;
    this.#enabled = enabled && stream.isTTY === true;
  }

  update(fraction: number, text: string, force = false): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (!force && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const width = 24;
    const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
    const line = `${bar} ${text}`.slice(0, Math.max(20, (this.#stream.columns ?? 120) - 1));
    this.#stream.write(`\r${line}\u001b[K`);
  }

  done(): void {
    if (this.#enabled) this.#stream.write('\n');
  }
}
