/**
 * Small tmpfs mounts for tests of what certfleet does when its run folder is read-only or fills up. Tests run as
 * root (here and in CI), which mount(8) needs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

/** Mounts a tmpfs of `size` (mount's syntax: "64k") at `dir`, read-only if asked. */
export function mountTmpfs(dir: string, options: { size: string; readOnly?: boolean }): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${options.size}${options.readOnly ? ',ro' : ''}`, 'tmpfs', dir], { stdio: 'pipe' });
}

export function unmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: 'pipe' });
}
