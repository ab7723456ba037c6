import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProgressRecord } from '../../cli/run-progress.js';
import type { ResultRecord } from '../../cli/run-result-line.js';
import type { JudgedRunSummary } from '../../sim/thresholds/evaluate-thresholds.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';
import { runCli } from '../support/cli.js';


type Line = ProgressRecord | ResultRecord | { type: 'metrics'; url: string };

describe('certfleet run --json (after npm run build)', () => {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-json-'));
  const out = join(work, 'run');
  let lines: Line[];
  let stdout: string;
  let stderr: string;
  let wallSeconds: number;

  beforeAll(() => {
    const scenario = join(work, 'tiny.yaml');
    // Paced to about two wall seconds, so the stream has several progress lines to throttle.
    writeFileSync(scenario, TINY_SCENARIO.replace('  step: 6h\n', '  step: 6h\n  speed: 30d/s\n'));
    const started = Date.now();
    const run = runCli(['run', scenario, '--devices', '10', '--out', out, '--json', '--metrics-port', '0'], { timeoutMs: 120_000 });
    wallSeconds = (Date.now() - started) / 1000;
    expect(run.status, run.stderr).toBe(0);
    stdout = run.stdout;
    stderr = run.stderr;
    lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
  }, 180_000);

  it('writes nothing but JSON objects on stdout, one per line', () => {
    expect(stdout.endsWith('\n')).toBe(true);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(['metrics', 'progress', 'result']).toContain(line.type);
    expect(stdout).not.toContain('results:');
  });

  it('streams progress at most once a wall second, ending at the end of the timeline', () => {
    const progress = lines.filter((l): l is ProgressRecord => l.type === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(wallSeconds) + 1);
    const last = progress.at(-1);
    expect(last?.fraction).toBe(1);
    expect(last?.t).toBe('2030-03-01T00:00:00.000Z');
    expect(last?.devices).toBe(10);
    expect((last?.connected ?? 0) + (last?.failing ?? 0) + (last?.offline ?? 0)).toBeLessThanOrEqual(10);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as JudgedRunSummary;
    expect(last?.rotationsSucceeded).toBe(summary.rotations.succeeded);
    expect(last?.rotationsFailed).toBe(summary.rotations.failed);
    expect(progress.map((p) => Date.parse(p.t))).toEqual([...progress.map((p) => Date.parse(p.t))].sort((a, b) => a - b));
  });

  it('says where the metrics are served, on stdout and on stderr', () => {
    const metrics = lines.find((l): l is { type: 'metrics'; url: string } => l.type === 'metrics');
    expect(metrics?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(stderr).toContain(`certfleet: metrics at ${metrics?.url}`);
  });

  it('ends with one result line naming the run folder and its files', () => {
    const result = lines.at(-1) as ResultRecord;
    expect(result.type).toBe('result');
    expect(result.dir).toBe(out);
    expect(result.complete).toBe(true);
    expect(result.thresholdsPassed).toBe(true);
    for (const file of ['summary.json', 'summary.md', 'junit.xml', 'events.ndjson', 'timeline.csv', 'metrics.prom']) {
      expect(result.files).toContain(join(out, file));
    }
    for (const file of result.files) expect(existsSync(file)).toBe(true);
  });
});
