import { describe, expect, it } from 'vitest';
import { PlainProgress } from '../../cli/plain-progress.js';
import { rotationsLine } from '../../cli/run-command.js';

describe('progress off a terminal', () => {
  it('prints the latest state on a plain line at every interval, even when no epoch ended since', async () => {
    const lines: string[] = [];
    const progress = new PlainProgress((line) => lines.push(line), true, 40);
    progress.update(0.25, '2030-01-01T00:00Z connected 3/4');
    await expect.poll(() => lines.length, { timeout: 2_000 }).toBeGreaterThanOrEqual(2);
    progress.done();
    const printed = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(lines.length).toBe(printed);
    expect(lines[0]).toMatch(/^certfleet: progress 25% after \d+s: 2030-01-01T00:00Z connected 3\/4\n$/);
  });

  it('says the stage the run is in until its first epoch ends, then only epoch progress', async () => {
    const lines: string[] = [];
    const progress = new PlainProgress((line) => lines.push(line), true, 40);
    progress.stage('manufacturing 20000 devices');
    await expect.poll(() => lines.at(-1), { timeout: 2_000 }).toMatch(/^certfleet: progress 0% after \d+s: manufacturing 20000 devices\n$/);
    progress.update(0.1, '2030-01-01T01:00Z connected 4/4');
    progress.stage('a stage after the first epoch is not progress');
    await expect.poll(() => lines.at(-1), { timeout: 2_000 }).toMatch(/: 2030-01-01T01:00Z connected 4\/4\n$/);
    progress.done();
  });

  it('prints nothing when disabled (--quiet, --json, a terminal)', async () => {
    const lines: string[] = [];
    const progress = new PlainProgress((line) => lines.push(line), false, 10);
    progress.update(0.5, 'x');
    await new Promise((resolve) => setTimeout(resolve, 60));
    progress.done();
    expect(lines).toEqual([]);
  });
});

describe('the rotations in the last line of a run', () => {
  it('says "no rotations" when none was attempted, not 0/0 with zero percentiles', () => {
    expect(rotationsLine({ attempted: 0, succeeded: 0, latencyMs: { p50: 0, p99: 0 } })).toBe('no rotations');
    expect(rotationsLine({ attempted: 14, succeeded: 12, latencyMs: { p50: 830, p99: 2100 } })).toBe('12/14 rotations (p50 830 ms, p99 2100 ms)');
  });
});
