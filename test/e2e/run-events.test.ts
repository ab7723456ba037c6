import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runScenario, type RunOutcome } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';
import { readEventLines, type EventLine } from '../support/event-lines.js';

/** Runs the tiny scenario with extra events, in this process, over real TLS. */
async function runWith(events: string, devices: number): Promise<RunOutcome & { events: EventLine[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-events-'));
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, `${TINY_SCENARIO}events:\n${events}`);
  const outcome = await runScenario({ loaded: loadScenario(file), devices, outDir: join(dir, 'run'), workers: 1 });
  return { ...outcome, events: readEventLines(join(outcome.dir, 'events.ndjson')) };
}

describe('scenario events carried out over real TLS', () => {
  let run: Awaited<ReturnType<typeof runWith>>;

  beforeAll(async () => {
    run = await runWith(
      [
        // Server push: the backend sends every device of the "steady" cohort a certificate and key on 2030-01-10.
        '  - { type: push-certificates, at: 2030-01-10T00:00:00Z, cohorts: [steady] }',
        // A root only the "other" cohort would need, rolled out to every device that takes updates.
        '  - { type: trust-rollout, at: 2030-01-05T00:00:00Z, add: [other-root], over: 2d }',
        // The broker switches to a chain under that root on 2030-01-20: devices that did not take it fail.
        '  - { type: server-certificate, at: 2030-01-20T00:00:00Z, use: broker-other }',
      ].join('\n'),
      20,
    );
  }, 120_000);

  it('installs pushed certificates at their effective time and reconnects with them', () => {
    const pushes = run.events.filter((e) => e.type === 'device.rotation' && e.method === 'push');
    expect(pushes.length).toBe(run.summary.cohorts.steady?.devices);
    expect(pushes.every((e) => e.outcome === 'succeeded' && e.t === Date.parse('2030-01-10T00:00:00Z'))).toBe(true);
  });

  it('applies the trust rollout on every device and keeps them connected through the chain switch', () => {
    const applied = run.events.filter((e) => e.type === 'device.trust-update' && e.result === 'applied');
    expect(new Set(applied.map((e) => e.device)).size).toBe(20);
    expect(run.summary.failures.byCause).toEqual({});
    expect(run.summary.availability.final?.connected).toBe(1);
  });

  it('completes with rotations from both the CSR path and the push path', () => {
    expect(run.summary.complete).toBe(true);
    const methods = new Set(run.events.filter((e) => e.type === 'device.rotation').map((e) => e.method));
    expect(methods).toEqual(new Set(['csr', 'push']));
  });
});

describe('a rollout that misses devices before a chain switch', () => {
  it('leaves the devices it missed failing with untrusted_root from the switch on', async () => {
    const run = await runWith(
      [
        '  - { type: trust-rollout, at: 2030-01-05T00:00:00Z, add: [other-root], share: 50%, cohorts: [steady] }',
        '  - { type: server-certificate, at: 2030-01-20T00:00:00Z, use: broker-other }',
      ].join('\n'),
      20,
    );
    // "steady" trusts only server-root; half of it gets other-root. "other" trusts both from the start.
    const failing = run.summary.failures.byCohort.steady?.['device:untrusted_root'];
    expect(failing?.devices).toBe(5);
    expect(Date.parse(failing?.first ?? '')).toBeGreaterThanOrEqual(Date.parse('2030-01-20T00:00:00Z'));
    expect(run.summary.failures.byCohort.other).toEqual({});
  }, 120_000);
});
