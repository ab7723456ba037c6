/** The processes a test's child started, read from /proc (Linux): to kill one of them the way a crash would. */
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of the direct children of `parent` whose command line contains `command`, in ascending order. */
export function childProcessIds(parent: number, command: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so read after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').includes(command)) pids.push(Number(entry));
    } catch {
      // The process ended while being read.
    }
  }
  return pids.sort((a, b) => a - b);
}
