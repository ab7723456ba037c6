/**
 * The same scenario and seed give the same counts on any placement and on a busy machine: every count and simulated
 * time in summary.json (failures by cause with devices and attempts, connects, rotations, availability samples,
 * audits, deliveries, the broker's tallies), compared between a run on a quiet machine in one worker and a run with
 * every core kept busy by CPU-burning processes and the fleet spread over other workers and device processes.
 * Wall-clock figures (latencies, wall time, rates, pacing lag) are left out: they describe the harness.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { keepMachineBusy, type BusyMachine } from '../support/busy-machine.js';
import { ROOT, runCli, startCli } from '../support/cli.js';
import { summaryCounts } from '../support/summary-counts.js';

const work = mkdtempSync(join(tmpdir(), 'certfleet-determinism-'));
let busy: BusyMachine | undefined;

afterAll(async () => {
  await busy?.stop();
});

function summaryOf(dir: string): RunSummary {
  return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
}

/** A run with nothing else of the test's going on. */
function quietRun(scenario: string, out: string, args: string[]): void {
  const result = runCli(['run', join(ROOT, 'scenarios', scenario), '--quiet', '--out', out, ...args], { timeoutMs: 600_000 });
  expect(result.status, result.stderr).toBe(0);
}

/** A run while every core is kept busy; the burners are killed whatever happens. */
async function busyRun(scenario: string, out: string, args: string[]): Promise<void> {
  busy = keepMachineBusy();
  try {
    const result = await startCli(['run', join(ROOT, 'scenarios', scenario), '--quiet', '--out', out, ...args]);
    expect(result.status, result.stderr).toBe(0);
  } finally {
    await busy.stop();
    busy = undefined;
  }
}

describe('the same scenario and seed give identical counts on a busy machine and on any placement', () => {
  it('dst-root-ca-x3-2021, 40 devices (two broker restarts, three failure causes, rotations): one quiet worker vs three busy workers in two processes', async () => {
    const common = ['--devices', '40', '--seed', '11'];
    quietRun('dst-root-ca-x3-2021.yaml', join(work, 'dst-quiet'), [...common, '--workers', '1', '--concurrency', '1']);
    await busyRun('dst-root-ca-x3-2021.yaml', join(work, 'dst-busy'), [...common, '--workers', '3', '--device-processes', '2', '--concurrency', '512']);
    // The comparison means something only if the run has several causes, failed reconnects and rotations.
    const summary = summaryOf(join(work, 'dst-quiet'));
    expect(Object.keys(summary.failures.byCause).length).toBeGreaterThanOrEqual(3);
    expect(summary.connects.attempted).toBeGreaterThan(summary.connects.succeeded);
    expect(summary.rotations.succeeded).toBeGreaterThan(0);
    expect(summaryCounts(join(work, 'dst-busy'))).toEqual(summaryCounts(join(work, 'dst-quiet')));
  }, 900_000);

  it('cloned-identities, 20 devices (session takeovers, a per-client connect limit, revocation, audits): quiet vs busy with other placement flags', async () => {
    const common = ['--devices', '20', '--seed', '15'];
    quietRun('cloned-identities.yaml', join(work, 'clones-quiet'), [...common, '--workers', '1']);
    await busyRun('cloned-identities.yaml', join(work, 'clones-busy'), [...common, '--workers', '2', '--device-processes', '2', '--concurrency', '512']);
    const summary = summaryOf(join(work, 'clones-quiet'));
    expect(summary.failures.byCause['broker:rate_limited']?.count).toBeGreaterThan(0);
    expect(summary.audits.checks.CONFLICTING_CLIENT_IDS?.max).toBeGreaterThan(0);
    expect(summaryCounts(join(work, 'clones-busy'))).toEqual(summaryCounts(join(work, 'clones-quiet')));
  }, 900_000);
});
