/**
 * A file of the run folder that could not be written (a full disk, a failing device, a read-only mount): the run
 * ends with this one line instead of an unhandled 'error' event.
 */
export class OutputWriteError extends Error {
  readonly path: string;
  readonly code: string | undefined;

  constructor(path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    super(`${describeErrno(code, (cause as Error | undefined)?.message)} writing ${path}`);
    this.name = 'OutputWriteError';
    this.path = path;
    this.code = code;
  }
}

/** What an errno means in words, as strerror(3) says it; the system's own message when it is not one of these. */
export function describeErrno(code: string | undefined, fallback = 'unknown error'): string {
  switch (code) {
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EIO':
      return 'input/output error';
    case 'EROFS':
      return 'read-only file system';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EFBIG':
      return 'file too large';
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EISDIR':
      return 'is a folder';
    case 'ENAMETOOLONG':
      return 'file name too long';
    default:
      return fallback;
  }
}
