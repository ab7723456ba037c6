import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JudgedRunSummary } from '../../sim/thresholds/evaluate-thresholds.js';
import { smallRun } from './small-run.js';

interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * The Prometheus text format (0.0.4) line by line: "# HELP name text", "# TYPE name type", blank lines and samples
 * `name{label="value",...} number`. A line that is none of these fails the parse.
 */
function parsePrometheusText(text: string): { samples: PromSample[]; types: Map<string, string> } {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1] ?? '', type[2] ?? '');
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus text line: ${line}`);
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    const value = Number(sample[3]);
    if (Number.isNaN(value)) throw new Error(`not a number: ${line}`);
    samples.push({ name: sample[1] ?? '', labels: labels as Record<string, string>, value });
  }
  return { samples, types };
}

/** The value of the one sample with that name and those labels (besides scenario and seed). */
function valueOf(samples: PromSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

describe('metrics.prom of a real run', () => {
  let summary: JudgedRunSummary;
  let parsed: ReturnType<typeof parsePrometheusText>;

  beforeAll(async () => {
    const run = await smallRun();
    summary = run.summary;
    parsed = parsePrometheusText(readFileSync(join(run.dir, 'metrics.prom'), 'utf8'));
  }, 120_000);

  it('parses as Prometheus text, counters named _total, every series labelled with the scenario and seed', () => {
    expect(parsed.samples.length).toBeGreaterThan(20);
    for (const [name, type] of parsed.types) expect(name.endsWith('_total')).toBe(type === 'counter');
    for (const sample of parsed.samples) expect(sample.labels).toMatchObject({ scenario: 'tiny', seed: '7' });
  });

  it('holds the values of summary.json', () => {
    const { samples } = parsed;
    expect(valueOf(samples, 'certfleet_simulated_time_seconds')).toBe(Date.parse(summary.timeline.reached) / 1000);
    expect(valueOf(samples, 'certfleet_rotations_total', { outcome: 'succeeded' })).toBe(summary.rotations.succeeded);
    expect(valueOf(samples, 'certfleet_rotations_total', { outcome: 'failed' })).toBe(summary.rotations.failed);
    expect(valueOf(samples, 'certfleet_failures_total', { judge: 'device', cause: 'untrusted_root' })).toBe(
      summary.failures.byCause['device:untrusted_root']?.count,
    );
    expect(samples.filter((s) => s.name === 'certfleet_failures_total').length).toBe(Object.keys(summary.failures.byCause).length);
    expect(valueOf(samples, 'certfleet_connect_attempts_total')).toBe(summary.connects.attempted);
    const outcomes = { succeeded: summary.connects.succeeded, refused_by_broker: summary.connects.refusedByBroker, rejected_by_device: summary.connects.rejectedByDevice, transport_failure: summary.connects.transportFailures };
    for (const [outcome, value] of Object.entries(outcomes)) expect(valueOf(samples, 'certfleet_connects_total', { outcome })).toBe(value);
    expect(Object.values(outcomes).reduce((a: number, v) => a + (v ?? 0), 0)).toBe(summary.connects.attempted);
    expect(valueOf(samples, 'certfleet_broker_certificates_issued_total')).toBe(summary.broker.issued);
    expect(valueOf(samples, 'certfleet_renewal_backlog')).toBe(summary.availability.final?.renewalBacklog);
    for (const [cohort, c] of Object.entries(summary.cohorts)) {
      expect(valueOf(samples, 'certfleet_devices', { cohort })).toBe(c.devices);
      const share = summary.availability.final?.cohorts[cohort] ?? -1;
      expect(valueOf(samples, 'certfleet_devices_connected', { cohort })).toBe(Math.round(share * c.devices));
    }
    expect(valueOf(samples, 'certfleet_devices_failing', { cohort: 'steady' })).toBe(5);
    expect(valueOf(samples, 'certfleet_rotation_latency_ms', { quantile: '0.5' })).toBe(summary.rotations.latencyMs.p50);
    expect(valueOf(samples, 'certfleet_rotation_latency_ms', { quantile: '0.99' })).toBe(summary.rotations.latencyMs.p99);
    for (const [check, audit] of Object.entries(summary.audits.checks)) {
      expect(valueOf(samples, 'certfleet_audit_findings', { check })).toBe(audit?.series.at(-1)?.count);
    }
    expect(valueOf(samples, 'certfleet_run_complete')).toBe(1);
    expect(valueOf(samples, 'certfleet_thresholds_failed')).toBe(0);
  });
});

describe('metrics served during a run with a metrics port', () => {
  it('answers a scrape on 127.0.0.1 while the run goes on, and stops listening when it ends', async () => {
    let url: string | undefined;
    const scrapes: Promise<string>[] = [];
    const { summary } = await smallRun({
      // 60 days at 30 simulated days per wall second: about two seconds of run to scrape in.
      speed: '30d/s',
      metricsPort: 0,
      onMetricsServing: (served) => {
        url = served;
      },
      onProgress: (progress) => {
        if (url && scrapes.length === 0 && progress.fraction > 0.4) scrapes.push(fetch(url).then((r) => r.text()));
      },
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(scrapes.length).toBe(1);
    const live = parsePrometheusText(await (scrapes[0] ?? Promise.resolve(''))).samples;
    const seconds = valueOf(live, 'certfleet_simulated_time_seconds') ?? 0;
    expect(seconds * 1000).toBeGreaterThan(Date.parse('2030-01-24T00:00:00Z'));
    expect(seconds * 1000).toBeLessThanOrEqual(Date.parse(summary.timeline.reached));
    expect(valueOf(live, 'certfleet_devices', { cohort: 'steady' })).toBe(10);
    expect(valueOf(live, 'certfleet_rotations_total', { outcome: 'succeeded' })).toBeLessThanOrEqual(summary.rotations.succeeded);
    expect(valueOf(live, 'certfleet_failures_total', { judge: 'device', cause: 'untrusted_root' })).toBeGreaterThan(0);
    // Only known at the end: not served as zeros while the run goes on.
    expect(valueOf(live, 'certfleet_run_complete')).toBeUndefined();
    await expect(fetch(url ?? '')).rejects.toThrow();
  }, 120_000);
});
