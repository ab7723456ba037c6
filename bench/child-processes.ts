import { readdirSync, readFileSync } from 'node:fs';

/**
 * The processes whose parent is `parent` and whose command line contains `marker`, read from Linux's /proc (the device
 * processes a run forks, the Mosquitto it spawns), so their CPU can be read while they run.
 */
export function childProcesses(parent: number, marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The parent id is the second field after the parenthesised command name.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return found;
}
