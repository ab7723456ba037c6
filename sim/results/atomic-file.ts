import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OutputWriteError } from './write-failure.js';

/**
 * Writes a file whole or not at all: the text goes to a temporary file beside it, which is renamed over the target
 * (rename(2) is atomic within a file system). A reader never sees a half-written summary.json, even when the disk
 * fills up mid-write: the temporary file is removed and the target keeps what it had (or stays absent).
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new OutputWriteError(path, error);
  }
}
