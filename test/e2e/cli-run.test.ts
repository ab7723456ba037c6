import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_CAUSES } from '../../sim/causes.js';
import type { RunManifest } from '../../sim/results/manifest.js';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { CLI, ROOT, runCli } from '../support/cli.js';

const SCENARIO = join(ROOT, 'scenarios/root-expiry-2030.yaml');


function readRun(dir: string) {
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as RunManifest;
  const events = readFileSync(join(dir, 'events.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; time: string; cause?: string; cohort?: string });
  return { summary, manifest, events, markdown: readFileSync(join(dir, 'summary.md'), 'utf8') };
}

describe('certfleet run on root-expiry-2030 with 50 devices over real mutual TLS', () => {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-e2e-'));
  let first: ReturnType<typeof readRun>;
  let second: ReturnType<typeof readRun>;
  let stdout = '';

  beforeAll(() => {
    const a = runCli(['run', SCENARIO, '--devices', '50', '--seed', '11', '--out', join(work, 'a'), '--quiet']);
    expect(a.status, a.stderr).toBe(0);
    stdout = a.stdout;
    const b = runCli(['run', SCENARIO, '--devices', '50', '--seed', '11', '--out', join(work, 'b'), '--quiet']);
    expect(b.status, b.stderr).toBe(0);
    first = readRun(join(work, 'a'));
    second = readRun(join(work, 'b'));
  }, 600_000);

  it('prints where its results are, every file it wrote', () => {
    const dir = join(work, 'a');
    const listed = stdout.slice(stdout.indexOf(`results: ${dir}\n`)).split('\n').slice(1).filter((line) => line !== '').map((line) => line.trim());
    expect(listed).toEqual(readdirSync(dir).sort().map((f) => join(dir, f)));
    expect(listed).toEqual(expect.arrayContaining(['report.html', 'timeline.csv', 'metrics.prom', 'manifest.json'].map((f) => join(dir, f))));
  });

  it('writes a manifest with version, commit, Node, CPU, seed and the scenario hash', () => {
    const { manifest } = first;
    expect(manifest.tool.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.tool.commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
    expect(manifest.node).toBe(process.version);
    expect(manifest.machine.cores).toBeGreaterThan(0);
    expect(manifest.seed).toBe(11);
    expect(manifest.devices).toBe(50);
    expect(manifest.scenario.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('completes the timeline and rotates certificates over real TLS, with latency percentiles', () => {
    const { summary } = first;
    expect(summary.complete).toBe(true);
    expect(summary.timeline.reached).toBe('2030-04-01T00:00:00.000Z');
    expect(summary.rotations.succeeded).toBeGreaterThan(40);
    expect(summary.rotations.attempted).toBe(summary.rotations.succeeded + summary.rotations.failed);
    expect(summary.rotations.latencyMs.count).toBe(summary.rotations.succeeded);
    expect(summary.rotations.latencyMs.p50).toBeGreaterThan(0);
    expect(summary.rotations.latencyMs.p99).toBeGreaterThanOrEqual(summary.rotations.latencyMs.p50);
    expect(summary.broker.issued).toBeGreaterThanOrEqual(summary.rotations.succeeded);
  });

  it('shows the untrusted-first cohort failing on the expired path from the root expiry until the cross-sign is dropped', () => {
    const tally = first.summary.failures.byCohort['legacy-untrusted-first']?.['device:expired_on_chosen_path'];
    expect(tally).toBeDefined();
    expect(Date.parse(tally?.first ?? '')).toBeGreaterThanOrEqual(Date.parse('2030-01-01T00:00:00Z'));
    expect(Date.parse(tally?.last ?? '')).toBeLessThan(Date.parse('2030-02-01T00:00:00Z'));
  });

  it('shows frozen strict devices failing with expired_root at the expiry and never recovering', () => {
    const cohort = first.summary.failures.byCohort['frozen-strict'] ?? {};
    expect(Date.parse(cohort['device:expired_root']?.first ?? '')).toBeGreaterThanOrEqual(Date.parse('2030-01-01T00:00:00Z'));
    const stranded = first.summary.unrecovered.list.filter((d) => d.cohort === 'frozen-strict');
    expect(stranded.length).toBe(first.summary.cohorts['frozen-strict']?.devices);
  });

  it('shows the Android-like cohort surviving the root expiry through the cross-sign and failing when it is dropped', () => {
    const cohort = first.summary.failures.byCohort['frozen-android-like'] ?? {};
    expect(Object.keys(cohort)).toEqual(['device:untrusted_root']);
    expect(Date.parse(cohort['device:untrusted_root']?.first ?? '')).toBeGreaterThanOrEqual(Date.parse('2030-02-01T00:00:00Z'));
  });

  it('samples availability once a simulated day, full before the expiry and lower after it', () => {
    const samples = first.summary.availability.samples;
    expect(samples.length).toBe(304);
    expect(samples.find((s) => s.t === '2029-12-31T00:00:00.000Z')?.connected).toBe(1);
    expect(samples.at(-1)?.connected).toBeLessThan(1);
  });

  it('streams events as NDJSON with known causes and cohorts', () => {
    expect(first.events.length).toBeGreaterThan(100);
    for (const event of first.events) {
      expect(Date.parse(event.time)).not.toBeNaN();
      if (event.cause !== undefined) expect(ALL_CAUSES).toContain(event.cause);
      if (event.type.startsWith('device.')) expect(event.cohort).toBeDefined();
    }
  });

  it('writes a readable summary that names the causes', () => {
    expect(first.markdown).toContain('# root-expiry-2030: run summary');
    expect(first.markdown).toContain('device:expired_on_chosen_path');
  });

  it('gives the same per-cause counts for the same scenario and seed', () => {
    expect(second.summary.failures).toEqual(first.summary.failures);
    expect(second.summary.unrecovered).toEqual(first.summary.unrecovered);
    expect(second.summary.rotations.attempted).toBe(first.summary.rotations.attempted);
    expect(second.summary.rotations.failuresByCause).toEqual(first.summary.rotations.failuresByCause);
    expect(second.summary.availability.samples).toEqual(first.summary.availability.samples);
  });
});

describe('certfleet on bad input', () => {
  it('rejects an invalid scenario with the file, the path and the expectation, exit code 2 and no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-bad-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, readFileSync(SCENARIO, 'utf8').replace('driftPpm: { min: -20, max: 20 }, syncEvery: 24h', 'driftPpm: fast'));
    const result = runCli(['run', file, '--out', join(dir, 'out')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`certfleet: invalid scenario ${file}: 1 problem\n`);
    expect(result.stderr).toMatch(/line \d+, column \d+: fleet\.cohorts\[0\]\.clock\.driftPpm: expected a number or a range \{ min, max \}, got "fast"/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a bad flag value with exit code 2', () => {
    const result = runCli(['run', SCENARIO, '--devices', '0']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--devices: expected a whole number from 1 to 100,000');
    expect(result.stderr).toContain('got 0');
  });

  it('validates a shipped scenario and says what it describes', () => {
    const result = runCli(['validate', join(ROOT, 'scenarios/daa-24h.yaml')]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('valid scenario "daa-24h"');
  });
});

describe('certfleet run interrupted with Ctrl-C', () => {
  it('stops, exits 130 and leaves a readable partial summary', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'certfleet-int-')), 'run');
    const child = spawn(process.execPath, [CLI, 'run', SCENARIO, '--devices', '200', '--out', out], { cwd: ROOT });
    let stderr = '';
    let interrupted = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // One Ctrl-C only: a second one means "quit at once" and skips the partial summary.
      if (!interrupted && stderr.includes('certfleet: running')) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), 1500).unref();
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    const { summary, markdown } = readRun(out);
    expect(summary.complete).toBe(false);
    expect(summary.interruption).toBe('interrupted');
    expect(Date.parse(summary.timeline.reached)).toBeLessThan(Date.parse(summary.timeline.end));
    expect(markdown).toContain('**Partial run**');
  }, 120_000);
});
