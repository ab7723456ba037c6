import { unlinkSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Room kept for the end-of-run files (summary.json, timeline.csv, ...) of a run whose folder fills up. */
export const RESERVED_BYTES = 4 * 1024 * 1024;

/**
 * Disk space set aside in the run folder when the run starts, as a file of zeros, and given back just before the
 * summary is written: a run whose events fill the disk still ends with a readable summary.json. Best effort: a disk
 * already too full to hold it runs without one (its summary may then be absent, never half-written).
 */
export class SpaceReserve {
  readonly #file: string;
  #held: boolean;

  /** A run that ends at once (a second Ctrl-C) leaves no reserve behind. */
  readonly #onExit = (): void => {
    try {
      unlinkSync(this.#file);
    } catch {
      // Already gone.
    }
  };

  private constructor(file: string, held: boolean) {
    this.#file = file;
    this.#held = held;
    if (held) process.once('exit', this.#onExit);
  }

  static async claim(dir: string, bytes = RESERVED_BYTES): Promise<SpaceReserve> {
    const file = join(dir, '.certfleet-space-reserve');
    try {
      await writeFile(file, Buffer.alloc(bytes));
      return new SpaceReserve(file, true);
    } catch {
      await unlink(file).catch(() => undefined);
      return new SpaceReserve(file, false);
    }
  }

  get held(): boolean {
    return this.#held;
  }

  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    process.off('exit', this.#onExit);
    await unlink(this.#file).catch(() => undefined);
  }
}
