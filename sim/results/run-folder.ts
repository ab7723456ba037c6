import { mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describeErrno } from './write-failure.js';

/** The run folder asked for cannot hold a run: bad input, said before anything runs. */
export class RunFolderError extends Error {
  readonly path: string;
  readonly problem: string;

  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'RunFolderError';
    this.path = path;
    this.problem = problem;
  }
}

/**
 * Makes sure `dir` can take a run before anything runs: it is a new or empty folder (one run per folder, so a run's
 * files are never mixed with an earlier run's), it can be created, and a file can be written in it (probed by
 * creating and removing one; permissions alone do not tell, a read-only mount or root's rights decide).
 */
export async function prepareRunFolder(dir: string): Promise<void> {
  const existing = await stat(dir).catch((error: NodeJS.ErrnoException) => error);
  if (existing instanceof Error) {
    if (existing.code === 'ENOTDIR') throw new RunFolderError(dir, await underAFile(dir));
    if (existing.code !== 'ENOENT') throw new RunFolderError(dir, `cannot be read (${describeErrno(existing.code, existing.message)})`);
    try {
      await makeFolders(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST') throw new RunFolderError(dir, await underAFile(dir));
      throw new RunFolderError(dir, `the folder cannot be created (${describeErrno(code, (error as Error).message)})`);
    }
  } else if (!existing.isDirectory()) {
    throw new RunFolderError(dir, 'is an existing file; expected a new or empty folder for the run');
  } else {
    const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      throw new RunFolderError(dir, `the folder cannot be read (${describeErrno(error.code, error.message)})`);
    });
    if (entries.length > 0) {
      const shown = entries.sort().slice(0, 3).join(', ');
      throw new RunFolderError(
        dir,
        `the folder is not empty (${shown}${entries.length > 3 ? ', ...' : ''}); each run needs a new or empty folder, so it never mixes with another run's files`,
      );
    }
  }
  const probe = join(dir, `.certfleet-write-probe-${process.pid}`);
  try {
    await writeFile(probe, 'certfleet\n');
  } catch (error) {
    throw new RunFolderError(dir, `the folder is not writable (${describeErrno((error as NodeJS.ErrnoException).code, (error as Error).message)})`);
  }
  await unlink(probe).catch(() => undefined);
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir spins forever where a file system answers ENOENT to every
 * mkdir (--out /proc/x).
 */
async function makeFolders(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let path = resolve(dir); ; path = dirname(path)) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => error);
    if (!(info instanceof Error)) break;
    if (info.code !== 'ENOENT') throw info;
    missing.unshift(path);
    if (dirname(path) === path) break;
  }
  for (const path of missing) {
    await mkdir(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

/** Which ancestor of `dir` is a file, said plainly. */
async function underAFile(dir: string): Promise<string> {
  for (let parent = dirname(dir); parent !== dirname(parent); parent = dirname(parent)) {
    const info = await stat(parent).catch(() => undefined);
    if (info && !info.isDirectory()) return `${parent} is a file, so no folder can be made under it`;
  }
  return 'a part of the path is a file, so no folder can be made there';
}

/** A time as default folder names carry it: 20301231T235959Z (no characters a file system or shell trips on). */
export function compactTime(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
