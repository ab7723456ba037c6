import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvDocument, csvField } from '../../sim/results/csv.js';
import type { JudgedRunSummary } from '../../sim/thresholds/evaluate-thresholds.js';
import { smallRun } from './small-run.js';

/** RFC 4180 records back into fields: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  return rows;
}

describe('CSV fields (RFC 4180)', () => {
  it('quotes a field with a comma, a quote or a line break, doubling its quotes, and ends records with CRLF', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField(0.25)).toBe('0.25');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvDocument([['a', 'b,c'], [1, 'x"y']])).toBe('a,"b,c"\r\n1,"x""y"\r\n');
    expect(parseCsv(csvDocument([['a', 'b,c', 'd\r\ne'], [1, 'x"y', '']]))).toEqual([['a', 'b,c', 'd\r\ne'], ['1', 'x"y', '']]);
  });
});

describe('timeline.csv of a real run', () => {
  let summary: JudgedRunSummary;
  let rows: string[][];

  beforeAll(async () => {
    const run = await smallRun();
    summary = run.summary;
    rows = parseCsv(readFileSync(join(run.dir, 'timeline.csv'), 'utf8'));
  }, 120_000);

  it('has one column per fleet share, per failure cause seen, per cohort and per audit check, and one row per sample', () => {
    expect(rows[0]).toEqual([
      'time',
      'connected',
      'failing',
      'offline',
      'renewalBacklog',
      'rotationsSucceeded',
      'rotationsFailed',
      'connectAttempts',
      'connectsSucceeded',
      'connectsRefusedByBroker',
      'connectsRejectedByDevice',
      'connectTransportFailures',
      'device:untrusted_root',
      'connected:steady',
      'connected:other',
      ...Object.keys(summary.audits.checks).map((check) => `audit:${check}`),
    ]);
    expect(rows.length - 1).toBe(summary.availability.samples.length);
    expect(rows.every((row) => row.length === rows[0]?.length)).toBe(true);
  });

  it('holds the values of summary.json, sample by sample', () => {
    const header = rows[0] ?? [];
    const column = (name: string) => header.indexOf(name);
    summary.availability.samples.forEach((sample, i) => {
      const row = rows[i + 1] ?? [];
      const activity = summary.activity[i];
      expect(row[column('time')]).toBe(sample.t);
      expect(Number(row[column('connected')])).toBe(sample.connected);
      expect(Number(row[column('failing')])).toBe(sample.failing);
      expect(Number(row[column('offline')])).toBe(sample.offline);
      expect(Number(row[column('renewalBacklog')])).toBe(sample.renewalBacklog);
      expect(activity?.t).toBe(sample.t);
      expect(Number(row[column('rotationsSucceeded')])).toBe(activity?.rotationsSucceeded);
      expect(Number(row[column('rotationsFailed')])).toBe(activity?.rotationsFailed);
      expect(Number(row[column('device:untrusted_root')])).toBe(activity?.failures['device:untrusted_root'] ?? 0);
      expect(Number(row[column('connected:steady')])).toBe(sample.cohorts.steady);
      expect(Number(row[column('audit:DEVICE_CERT_EXPIRING')])).toBe(summary.audits.checks.DEVICE_CERT_EXPIRING?.series[i]?.count);
    });
    const total = (name: string) => rows.slice(1).reduce((a, row) => a + Number(row[column(name)]), 0);
    expect(total('device:untrusted_root')).toBe(summary.failures.byCause['device:untrusted_root']?.count);
    expect(total('rotationsSucceeded')).toBe(summary.rotations.succeeded);
  });

  it('has the connects of summary.json with their parts, adding up in every row and in all', () => {
    const header = rows[0] ?? [];
    const column = (name: string) => header.indexOf(name);
    const parts = ['connectsSucceeded', 'connectsRefusedByBroker', 'connectsRejectedByDevice', 'connectTransportFailures'];
    for (const row of rows.slice(1)) expect(parts.reduce((a, p) => a + Number(row[column(p)]), 0)).toBe(Number(row[column('connectAttempts')]));
    const total = (name: string) => rows.slice(1).reduce((a, row) => a + Number(row[column(name)]), 0);
    const c = summary.connects;
    expect(c.attempted).toBe(c.succeeded + c.refusedByBroker + (c.rejectedByDevice ?? 0) + (c.transportFailures ?? 0));
    expect(c.rejectedByDevice).toBeGreaterThan(0);
    expect([total('connectAttempts'), total('connectsSucceeded'), total('connectsRejectedByDevice')]).toEqual([c.attempted, c.succeeded, c.rejectedByDevice]);
    expect(c.latencyMs.count).toBe(c.succeeded);
  });
});
