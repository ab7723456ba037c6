import { readFileSync } from 'node:fs';

/** CPU time (user + system, ms) and resident memory (bytes) of a process, read from Linux's /proc. */
export interface ProcessUsage {
  cpuMs: number;
  rssBytes: number;
}

// USER_HZ: the unit of utime and stime in /proc/<pid>/stat, 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
const TICKS_PER_SECOND = 100;

export function processUsage(pid: number): ProcessUsage {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs: (ticks * 1000) / TICKS_PER_SECOND, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
}

/** The usage of several processes, summed. */
export function totalUsage(pids: readonly number[]): ProcessUsage {
  return pids.map(processUsage).reduce((a, b) => ({ cpuMs: a.cpuMs + b.cpuMs, rssBytes: a.rssBytes + b.rssBytes }), { cpuMs: 0, rssBytes: 0 });
}
