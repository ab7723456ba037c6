/**
 * The same scenario, the same story: for the same seed, the embedded broker and a real Mosquitto that certfleet runs
 * under libfaketime (broker.target mosquitto) give the same per-cause counts, and on daa-24h every rotation completes
 * on Mosquitto too, the CA answering through it as an MQTT client.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';
import { writeScenarioFile } from '../support/scenario-file.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'certfleet-mosquitto-target-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Summary {
  failures: { byCause: Record<string, { count: number; devices: number; first: string; inferredFrom?: string[] }> };
  rotations: { succeeded: number; failed: number };
  connects: { attempted: number; succeeded: number };
  broker: { issued: number };
}

function run(scenario: string, target: 'embedded' | 'mosquitto', devices: number): { summary: Summary; manifest: { broker?: { target: string; version: string } } } {
  const out = join(dir, `${scenario.replace(/\W+/g, '-')}-${target}`);
  const result = runCli(['run', scenario, '--devices', String(devices), '--seed', '11', '--broker', target, '--out', out], { timeoutMs: 240_000 });
  expect(result.status, result.stderr).toBe(0);
  return {
    summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary,
    manifest: JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { broker?: { target: string; version: string } },
  };
}

/** Each cause with how often and on how many devices, from the first time: what the story is made of. */
function story(summary: Summary) {
  return Object.fromEntries(Object.entries(summary.failures.byCause).map(([cause, f]) => [cause, { count: f.count, devices: f.devices, first: f.first }]));
}

describe('broker.target mosquitto tells the story the embedded broker tells', () => {
  for (const [scenario, devices] of [
    ['dst-root-ca-x3-2021', 12],
    ['addtrust-2020', 12],
    ['root-expiry-2030', 12],
  ] as const) {
    it(`${scenario}: the same failures by cause, devices and first time, the same rotations and connects`, () => {
      const file = join(ROOT, 'scenarios', `${scenario}.yaml`);
      const embedded = run(file, 'embedded', devices);
      const mosquitto = run(file, 'mosquitto', devices);
      expect(Object.keys(embedded.summary.failures.byCause).length).toBeGreaterThan(0);
      expect(story(mosquitto.summary)).toEqual(story(embedded.summary));
      expect(mosquitto.summary.rotations).toMatchObject({ succeeded: embedded.summary.rotations.succeeded, failed: embedded.summary.rotations.failed });
      expect(mosquitto.summary.connects).toMatchObject({ attempted: embedded.summary.connects.attempted, succeeded: embedded.summary.connects.succeeded });
      expect(mosquitto.manifest.broker).toMatchObject({ target: 'mosquitto', version: expect.stringMatching(/^2\.\d+\.\d+/) as unknown });
    });
  }

  it('daa-24h over three simulated days: every rotation completes through Mosquitto, as many as on the embedded broker', () => {
    const text = readFileSync(join(ROOT, 'scenarios', 'daa-24h.yaml'), 'utf8');
    const file = writeScenarioFile(dir, 'daa-24h-3d.yaml', text, ['end: 2026-03-31T00:00:00Z', 'end: 2026-03-04T00:00:00Z']);
    const embedded = run(file, 'embedded', 10);
    const mosquitto = run(file, 'mosquitto', 10);
    expect(embedded.summary.rotations.succeeded).toBeGreaterThanOrEqual(20);
    expect(mosquitto.summary.rotations).toMatchObject({ succeeded: embedded.summary.rotations.succeeded, failed: 0 });
    expect(mosquitto.summary.broker.issued).toBe(embedded.summary.broker.issued);
    expect(story(mosquitto.summary)).toEqual(story(embedded.summary));
  });

  it('a revocation is a CRL Mosquitto loads on SIGHUP: the same devices refused, as many times, their sessions ended at the revocation', () => {
    const file = writeScenarioFile(dir, 'tiny-revoke.yaml', `${TINY_SCENARIO}events:\n  - { type: revoke, at: 2030-01-20T00:00:00Z, devices: { share: 0.5 } }\n`, ['  devices: 4', '  devices: 12']);
    const embedded = run(file, 'embedded', 12).summary.failures.byCause;
    const mosquitto = run(file, 'mosquitto', 12).summary.failures.byCause;
    expect(embedded['broker:revoked']?.devices).toBeGreaterThan(0);
    expect(mosquitto['broker:revoked']).toMatchObject({ devices: embedded['broker:revoked']?.devices, first: embedded['broker:revoked']?.first, inferredFrom: ['tls-alert:44 certificate_revoked'] });
    // OpenSSL says revoked where the embedded broker says expired_leaf for a revoked certificate that has also expired
    // (docs/real-broker-causes.md): the refusals add up to the same number.
    const refusals = (byCause: Summary['failures']['byCause']) => Object.values(byCause).reduce((sum, f) => sum + f.count, 0);
    expect(refusals(mosquitto)).toBe(refusals(embedded));
  });
});
