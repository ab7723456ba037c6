/**
 * The story of a run with two cliffs three years apart, read from the run folder the CLI writes: dst-root-ca-x3-2021
 * at 20 devices (12, 2, 5 and 1 per cohort, the same shares as 100 devices and the same two incidents, in a third of
 * the time).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PublishedRunSummary } from '../../sim/results/summary-schema.js';
import { runCli } from '../support/cli.js';

describe('the incidents of a 20-device dst-root-ca-x3-2021 run', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'certfleet-incidents-')), 'run');
  let summary: PublishedRunSummary;
  let markdown: string;
  let report: string;

  beforeAll(() => {
    const run = runCli(['run', 'scenarios/dst-root-ca-x3-2021.yaml', '--devices', '20', '--out', dir, '--quiet']);
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as PublishedRunSummary;
    markdown = readFileSync(join(dir, 'summary.md'), 'utf8');
    report = readFileSync(join(dir, 'report.html'), 'utf8');
  }, 180_000);

  it('names two incidents in order: expired_on_chosen_path from the DST expiry (10%), expired_intermediate from the cross-sign\'s (25%)', () => {
    const incidents = summary.incidents ?? [];
    expect(incidents.map((i) => [i.start.slice(0, 19), i.cause, i.devicesAffected / summary.devices])).toEqual([
      ['2021-09-30T14:01:15', 'device:expired_on_chosen_path', 0.1],
      ['2024-09-30T18:14:03', 'device:expired_intermediate', 0.25],
    ]);
    const [dst, cross] = incidents;
    // The strict DST-only device fails at the same instant for another reason: one cliff, two causes, ranked by devices.
    expect(dst?.causes.map((c) => [c.cause, c.devicesAffected])).toEqual([
      ['device:expired_on_chosen_path', 2],
      ['device:expired_root', 1],
    ]);
    expect(dst?.cohorts).toEqual({ 'untrusted-first-both': 2, 'dst-only-strict': 1 });
    expect(dst?.lowest).toEqual({ t: '2021-10-01T00:00:00.000Z', connected: 0.85 });
    expect(cross?.cohorts).toEqual({ 'dst-only-ignore-expiry': 5 });
    expect(cross?.lowest).toEqual({ t: '2024-10-01T00:00:00.000Z', connected: 0.6 });
    for (const incident of incidents) expect(incident.recovered).toEqual({ devices: 0, lastAt: null });
    // Every attempt of each cause belongs to one of the two incidents.
    expect(dst?.attempts).toBe(summary.failures.byCause['device:expired_on_chosen_path']?.count);
    expect(cross?.attempts).toBe(summary.failures.byCause['device:expired_intermediate']?.count);
    // Both expiries and both restarts were followed by failures: no marker caused nothing.
    expect(summary.quietMarkers).toEqual([]);
  });

  it('tells both incidents in the headline of summary.md and of the report, in order', () => {
    const headline = markdown.split('\n')[2] ?? '';
    expect(headline).toMatch(/^2 incidents\. From 2021-09-30T14:01:15Z, 3 devices \(15\.0%\) started failing: 2 \(10\.0%\) .+\(device:expired_on_chosen_path, \d+ attempts\); 1 \(5\.0%\) device:expired_root/);
    expect(headline).toMatch(/From 2024-09-30T18:14:03Z, 5 devices \(25\.0%\) started failing: .+\(device:expired_intermediate, \d+ attempts\); availability fell to 60\.0% by 2024-10-01T00:00Z; none connected again\. 40\.0% never recovered\.$/);
    expect(headline.indexOf('expired_on_chosen_path')).toBeLessThan(headline.indexOf('expired_intermediate'));
    expect(report).toContain(`<p class="headline" id="headline">${headline}</p>`);
    expect(report.match(/<ol class="incidents" id="incidents">(.*?)<\/ol>/)?.[1]?.match(/<li>/g)).toHaveLength(2);
  });

  it('ranks causes by devices affected with attempts beside, not by attempts', () => {
    const ranked = markdown.split('\n').find((line) => line.startsWith('Causes by devices affected: '));
    expect(ranked).toMatch(/^Causes by devices affected: device:expired_intermediate 5 devices \(\d+ attempts\), device:expired_on_chosen_path 2 devices \(\d+ attempts\), device:expired_root 1 device \(\d+ attempts\)\.$/);
    expect(markdown).not.toContain('most common');
  });

  it('gives summary.md an Incidents section with each start, cause text, devices and attempts, cohorts, lowest point and recovery', () => {
    const section = markdown.slice(markdown.indexOf('## Incidents'), markdown.indexOf('## Thresholds'));
    expect(section).toContain('### 1. From 2021-09-30T14:01:15Z: device:expired_on_chosen_path');
    expect(section).toContain('### 2. From 2024-09-30T18:14:03Z: device:expired_intermediate');
    expect(section.indexOf('### 1.')).toBeLessThan(section.indexOf('### 2.'));
    expect(section).toMatch(/- `device:expired_on_chosen_path`: 2 devices \(10\.0%\), \d+ attempts: the path the judge built has an expired certificate/);
    expect(section).toMatch(/- `device:expired_intermediate`: 5 devices \(25\.0%\), \d+ attempts: an intermediate or cross-signed CA certificate/);
    expect(section).toContain('- Cohorts: untrusted-first-both 2, dst-only-strict 1');
    expect(section).toContain('- Cohorts: dst-only-ignore-expiry 5');
    expect(section).toContain('- Lowest availability: 85.0% at 2021-10-01T00:00Z');
    expect(section).toContain('- Lowest availability: 60.0% at 2024-10-01T00:00Z');
    expect(section.match(/- Recovered: 0 of \d+: none connected again/g)).toHaveLength(2);
  });

  it('keeps the availability table short and puts in it the samples just before and after both cliffs', () => {
    const table = markdown.slice(markdown.indexOf('## Availability over simulated time'), markdown.indexOf('## Audits'));
    const rows = table.split('\n').filter((line) => /^\| \d{4}-/.test(line));
    expect(rows.length).toBeLessThan(40);
    const row = (day: string) => rows.find((r) => r.startsWith(`| ${day} |`));
    expect(row('2021-09-02')).toBeDefined();
    expect(row('2021-09-30')).toMatch(/^\| 2021-09-30 \| 100\.0% \|.*before incident 1 \|$/);
    expect(row('2021-10-01')).toMatch(/^\| 2021-10-01 \| 85\.0% \|.*after incident 1 started; lowest of incident 1 \|$/);
    expect(row('2024-09-30')).toMatch(/^\| 2024-09-30 \| 85\.0% \|.*before incident 2 \|$/);
    expect(row('2024-10-01')).toMatch(/^\| 2024-10-01 \| 60\.0% \|.*after incident 2 started; lowest of incident 2 \|$/);
    expect(rows.at(-1)).toMatch(/^\| 2024-12-01 \| 60\.0% \|/);
  });
});
