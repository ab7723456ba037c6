import { readFileSync } from 'node:fs';

/**
 * The process's soft limit on open files (RLIMIT_NOFILE), read from /proc/self/limits on Linux; undefined where that
 * cannot be read, or when unlimited. Node has no getrlimit.
 */
export function openFileLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The connections the listener holds at most, leaving the rest of the process files to work with (its event loop,
 * worker threads, the run's output files, device sockets): 5% of the limit, and at least 64.
 *
 * Past this, Node closes each new connection on arrival and says so ('drop'), so running out is reported. At the limit
 * itself it would not be: libuv accepts and closes connections it has no descriptor for (its EMFILE trick) and tells
 * nobody.
 */
export function connectionCapFor(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  return Math.max(1, limit - Math.max(64, Math.ceil(limit * 0.05)));
}
