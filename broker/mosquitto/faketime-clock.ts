import { replaceFile } from './replace-file.js';

/**
 * The broker's clock as libfaketime reads it from FAKETIME_TIMESTAMP_FILE: a frozen absolute time,
 * "YYYY-MM-DD hh:mm:ss" (libfaketime's README, "absolute dates"), at second precision like the time_t OpenSSL
 * compares validity bounds with (X509_cmp_time).
 *
 * Frozen, not a running "@" time: a running clock would advance at wall pace while the timeline runs at
 * `timeline.speed` (often thousands of simulated seconds a second), so it would cross validity bounds at the wrong
 * simulated time; and libfaketime counts an "@" time from the process start, not from when the file was written.
 * A frozen reading judges every connect of an epoch at the broker's reading of the epoch's start, and the
 * coordinator ends epochs at every bound (BrokerTarget.nextVerdictChangeAfter), so that reading is on the same side
 * of every bound as the reading at the device's true time.
 */
export function faketimeTimestamp(readingMs: number): string {
  const iso = new Date(Math.floor(readingMs / 1000) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** Writes the reading by a rename: libfaketime re-reads the file on every time() call and must never see half of it. */
export function writeFaketimeClock(file: string, readingMs: number): void {
  replaceFile(file, `${faketimeTimestamp(readingMs)}\n`);
}
