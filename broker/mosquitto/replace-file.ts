import { renameSync, writeFileSync } from 'node:fs';

/**
 * Replaces a file Mosquitto (or libfaketime inside it) may be reading at that moment: the text goes to a file beside
 * it, renamed over the target (rename(2) is atomic), so a reader opens the old file or the new one, never half of
 * one. A reload that overlapped a plain rewrite failed with "Unable to load server certificate ... no start line".
 */
export function replaceFile(path: string, text: string, mode = 0o644): void {
  const temporary = `${path}.next`;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, path);
}
