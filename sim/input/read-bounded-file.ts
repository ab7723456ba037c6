import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { UserInputError } from './user-input-error.js';

/** A file certfleet was asked to read that it will not read: missing, not a regular file, or too large. */
export class UnreadableFileError extends UserInputError {
  /** What is wrong, without the file name ("no such file", "larger than 1 MiB"). */
  readonly reason: string;

  constructor(file: string, reason: string) {
    super(file, [reason]);
    this.name = 'UnreadableFileError';
    this.reason = reason;
  }
}

/**
 * Reads a file a user named, refusing what could hang or exhaust the process before reading a byte: a device
 * (/dev/zero never ends), a FIFO (opening it waits for a writer), a directory, or a file over `maxBytes`. At most
 * `maxBytes + 1` bytes are ever read, so a file that grows while it is read is refused too.
 */
export function readBoundedFile(file: string, maxBytes: number): Buffer {
  checkStats(file, statOrExplain(file), maxBytes);
  let fd: number;
  try {
    // O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new UnreadableFileError(file, cannotRead(error));
  }
  try {
    const stats = fstatSync(fd);
    checkStats(file, stats, maxBytes);
    // Sized by the stat, grown only if the file grows; never past one byte more than the limit.
    let buffer = Buffer.alloc(Math.min(maxBytes + 1, stats.size + 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw new UnreadableFileError(file, `larger than ${formatBytes(maxBytes)}: refused`);
        const grown = Buffer.alloc(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(grown);
        buffer = grown;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) throw new UnreadableFileError(file, `larger than ${formatBytes(maxBytes)}: refused`);
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof UnreadableFileError) throw error;
    throw new UnreadableFileError(file, cannotRead(error));
  } finally {
    closeSync(fd);
  }
}

function statOrExplain(file: string): Stats {
  try {
    return statSync(file);
  } catch (error) {
    throw new UnreadableFileError(file, cannotRead(error));
  }
}

function checkStats(file: string, stats: Stats, maxBytes: number): void {
  if (stats.isDirectory()) throw new UnreadableFileError(file, 'a folder, expected a file');
  if (!stats.isFile()) throw new UnreadableFileError(file, `not a regular file (${kindOf(stats)}), expected a file`);
  if (stats.size > maxBytes) {
    throw new UnreadableFileError(file, `${formatBytes(stats.size)}, larger than the ${formatBytes(maxBytes)} certfleet reads: refused`);
  }
}

function kindOf(stats: Stats): string {
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

function cannotRead(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot read the file (permission denied)';
  return `cannot read the file (${code ?? (error as Error).message})`;
}

/** "1 MiB", "16 MiB", "512 KiB", "300 bytes" */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}
