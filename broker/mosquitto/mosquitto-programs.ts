import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { UserInputError } from '../../sim/input/user-input-error.js';

/** A program or library the `mosquitto` broker target needs is not installed: names the Debian package to install. */
export class MissingProgramError extends UserInputError {
  constructor(what: string, debianPackage: string, searched: string) {
    super('--broker mosquitto', [`${what} was not found (looked in ${searched}): install the Debian package ${debianPackage} (sudo apt-get install -y ${debianPackage})`]);
    this.name = 'MissingProgramError';
  }
}

export interface MosquittoPrograms {
  /** The broker binary. */
  mosquitto: string;
  /** libfaketime, preloaded into the broker (what Debian's `faketime` wrapper sets LD_PRELOAD to). */
  libfaketime: string;
}

/** Where to look: the PATH (and the sbin folders Debian installs mosquitto in), and libfaketime's folders. */
export interface ProgramSearch {
  path?: string | undefined;
  libraryDirs?: readonly string[] | undefined;
}

/**
 * Debian's `faketime` wrapper preloads `/usr/$LIB/faketime/libfaketime.so.1` ($LIB is the multiarch folder the
 * dynamic loader expands, e.g. lib/x86_64-linux-gnu). The wrapper itself cannot be used: it sets FAKETIME from its
 * argument, and libfaketime reads FAKETIME before FAKETIME_TIMESTAMP_FILE, so the broker's clock could not be moved.
 */
const LIBRARY_DIRS = [
  `/usr/lib/${multiarch()}/faketime`,
  '/usr/lib/faketime',
  '/usr/lib64/faketime',
  '/usr/local/lib/faketime',
];

export function findMosquittoPrograms(search: ProgramSearch = {}): MosquittoPrograms {
  const path = search.path ?? `${process.env['PATH'] ?? ''}${delimiter}/usr/sbin${delimiter}/sbin${delimiter}/usr/local/sbin`;
  const folders = path.split(delimiter).filter((folder) => folder !== '');
  const mosquitto = folders.map((folder) => join(folder, 'mosquitto')).find((file) => usable(file, constants.X_OK));
  if (!mosquitto) throw new MissingProgramError('the mosquitto broker', 'mosquitto', `PATH ${folders.join(delimiter)}`);
  const dirs = search.libraryDirs ?? LIBRARY_DIRS;
  const libfaketime = dirs.map((dir) => join(dir, 'libfaketime.so.1')).find((file) => usable(file, constants.R_OK));
  if (!libfaketime) throw new MissingProgramError('libfaketime.so.1', 'faketime', dirs.join(', '));
  return { mosquitto, libfaketime };
}

function usable(file: string, mode: number): boolean {
  try {
    accessSync(file, mode);
    return true;
  } catch {
    return false;
  }
}

/** The Debian multiarch triplet of this machine (x86_64-linux-gnu, aarch64-linux-gnu). */
function multiarch(): string {
  const cpu = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  return `${cpu}-linux-gnu`;
}
