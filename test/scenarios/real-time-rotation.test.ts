/**
 * The shipped real-time scenario on the embedded broker: a timeline that starts now, with three-minute certificates
 * renewed by CSR at two thirds of their life. Run here at "max" speed (the file says 1s/s, four minutes of wall
 * time), which the embedded broker allows: it judges each connect at the time the device claims.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../sim/results/manifest.js';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { ROOT, runCli } from '../support/cli.js';
import { writeScenarioFile } from '../support/scenario-file.js';
import { MINUTE } from '../support/time.js';

const FILE = join(ROOT, 'scenarios', 'real-time-rotation.yaml');

describe('real-time-rotation on the embedded broker', () => {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-real-time-'));
  const out = join(work, 'run');
  let loadedAt: number;
  let result: ReturnType<typeof runCli>;
  let summary: RunSummary;
  let manifest: RunManifest;
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(() => {
    const file = writeScenarioFile(work, 'real-time-rotation.yaml', readFileSync(FILE, 'utf8'), ['  speed: 1s/s\n', '  speed: max\n']);
    loadedAt = Date.now();
    result = runCli(['run', file, '--out', out, '--quiet', '--no-report']);
    summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as RunManifest;
  });

  it('passes its thresholds: every device renews its three-minute certificate, none fails', () => {
    expect(result.status, result.stderr).toBe(0);
    expect(summary.rotations.failed).toBe(0);
    // Five devices, four minutes, a renewal two minutes into each certificate: at least one each.
    expect(summary.rotations.succeeded).toBeGreaterThanOrEqual(5);
    expect(summary.unrecovered.devices).toBe(0);
    expect(summary.failures.byCause).toEqual({});
  });

  it('starts its timeline when it is run, to the second, and records that start in the manifest for a rerun', () => {
    const start = Date.parse(summary.timeline.start);
    expect(start % 1000).toBe(0);
    expect(start).toBeGreaterThanOrEqual(Math.floor(loadedAt / 1000) * 1000);
    expect(Date.parse(summary.timeline.end) - start).toBe(4 * MINUTE);
    expect(manifest.timelineStart).toBe(summary.timeline.start);
  });

  it('replays a device from the start the run had, not from the time of the replay', () => {
    const repro = runCli(['repro', out, '--device', 'device-00000']);
    expect(repro.status, repro.stderr).toBe(0);
    expect(repro.stdout).toContain('the replay matches the run');
  });

  it('names the embedded broker, its aedes version and its clock in the manifest, summary.json and summary.md', () => {
    const broker = { target: 'embedded', version: expect.stringMatching(/^aedes \d+\.\d+\.\d+$/) as unknown, clock: 'claimed per connect (CONNECT user name), inside the epoch' };
    // Where it listened: loopback by default, where this host's devices dial and what agents would be told.
    const listen = { address: '127.0.0.1', dial: '127.0.0.1', advertise: '127.0.0.1', port: expect.any(Number) as unknown };
    expect(manifest.broker).toEqual({ ...broker, listen });
    expect(summary.broker).toMatchObject(broker);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(`Broker: embedded (${manifest.broker.version}); its clock: claimed per connect (CONNECT user name), inside the epoch.`);
  });
});
