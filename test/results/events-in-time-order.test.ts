import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../sim/results/event-log.js';
import { ROOT, runCli } from '../support/cli.js';

function times(file: string): number[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => Date.parse((JSON.parse(line) as { time: string }).time));
}

describe('events.ndjson', () => {
  it('goes out in simulated-time order however the events arrive, one device\'s equal times in arrival order', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'certfleet-events-')), 'events.ndjson');
    const log = new EventLog(file);
    const event = (t: number, device: string) => ({ type: 'device.locked-out' as const, t, device, certificateExpiredAt: 0 });
    log.write(event(30, 'b'), undefined);
    log.write(event(10, 'a'), undefined);
    log.write(event(10, 'c'), undefined);
    log.flushUntil(20);
    log.write(event(25, 'd'), undefined);
    await log.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: number; device: string });
    expect(lines.map((l) => [l.t, l.device])).toEqual([[10, 'a'], [10, 'c'], [25, 'd'], [30, 'b']]);
  });

  describe('of a run whose devices act on several workers', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'certfleet-events-run-')), 'run');
    beforeAll(() => {
      const result = runCli(['run', join(ROOT, 'scenarios/dst-root-ca-x3-2021.yaml'), '--devices', '60', '--seed', '3', '--workers', '3', '--quiet', '--no-report', '--out', dir]);
      expect(result.status, result.stderr).toBe(0);
    }, 240_000);

    it('is sorted by time, so its first failure is the run\'s first failure', () => {
      const t = times(join(dir, 'events.ndjson'));
      expect(t.length).toBeGreaterThan(500);
      const outOfOrder = t.findIndex((value, i) => i > 0 && value < (t[i - 1] ?? 0));
      expect(outOfOrder).toBe(-1);
    });
  });
});
