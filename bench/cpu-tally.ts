import { processUsage } from './process-usage.js';

/**
 * The CPU a changing set of processes has used since each was first seen: processes that start later (a replacement,
 * an instance) join when first found; one that ended keeps its last reading.
 */
export class CpuTally {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  constructor(private readonly find: () => number[]) {}

  sample(): void {
    for (const pid of this.find()) {
      try {
        const { cpuMs } = processUsage(pid);
        if (!this.first.has(pid)) this.first.set(pid, cpuMs);
        this.last.set(pid, cpuMs);
      } catch {
        // It ended since it was listed: its last reading stands.
      }
    }
  }

  /** CPU milliseconds used so far, over every process seen. */
  get ms(): number {
    let total = 0;
    for (const [pid, last] of this.last) total += last - (this.first.get(pid) ?? last);
    return total;
  }
}
