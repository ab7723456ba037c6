/**
 * certfleet compare on two real runs of root-expiry-2030 that differ in one thing: the trust rollout reaches 90% of
 * the updatable devices (the shipped file) or 30%. Also `run` writing report.html (or not, with --no-report) and
 * `certfleet report` writing it afterwards.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../bench/chromium.js';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { drawnCharts, openPage } from './open-page.js';
import { ROOT, startCli, type CliResult } from '../support/cli.js';

const SHIPPED = join(ROOT, 'scenarios/root-expiry-2030.yaml');
const DEVICES = '40';

/** The terminal table's row of a figure: its mark and its A and B cells. */
function tableRow(stdout: string, figure: string): { changed: boolean; a: string; b: string } | undefined {
  const line = stdout.split('\n').find((l) => l.slice(2).startsWith(`${figure} `));
  if (!line) return undefined;
  const cells = line.slice(2 + figure.length).trim().split(/\s{2,}/);
  return { changed: line.startsWith('*'), a: cells[0] ?? '', b: cells[1] ?? '' };
}

const number = (cell: string) => Number(cell.replace(/,/g, ''));

describe('certfleet compare: root-expiry-2030 with the trust rollout at 90% (A) and 30% (B), 40 devices each', () => {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-compare-'));
  const a = join(work, 'a');
  const b = join(work, 'b');
  let runA: CliResult;
  let runB: CliResult;
  let report: CliResult;
  let compare: CliResult;
  let summaries: { a: RunSummary; b: RunSummary };
  let browser: Browser;

  beforeAll(async () => {
    const shipped = readFileSync(SHIPPED, 'utf8');
    expect(shipped.match(/^ {4}share: 90%$/gm)).toHaveLength(1);
    const fewer = join(work, 'root-expiry-2030-rollout-30.yaml');
    writeFileSync(fewer, shipped.replace(/^ {4}share: 90%$/m, '    share: 30%'));
    [runA, runB] = await Promise.all([
      startCli(['run', SHIPPED, '--devices', DEVICES, '--out', a, '--quiet']),
      startCli(['run', fewer, '--devices', DEVICES, '--out', b, '--quiet', '--no-report']),
    ]);
    expect(runA.status, runA.stderr).toBe(0);
    expect(runB.status, runB.stderr).toBe(0);
    report = await startCli(['report', b]);
    compare = await startCli(['compare', a, b]);
    summaries = {
      a: JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8')) as RunSummary,
      b: JSON.parse(readFileSync(join(b, 'summary.json'), 'utf8')) as RunSummary,
    };
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('run writes report.html and lists it with the other results; --no-report writes none', () => {
    expect(runA.stdout).toContain(`\n  ${a}/report.html\n`);
    expect(readFileSync(join(a, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(runB.stdout).not.toContain('report.html');
    expect(runB.stdout).toContain(`${b}/events.ndjson`);
  });

  it('certfleet report writes report.html for a finished run', () => {
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toBe(`report: ${b}/report.html\n`);
    expect(readFileSync(join(b, 'report.html'), 'utf8')).toContain('certfleet report: root-expiry-2030');
  });

  it('prints both runs and a table of every figure with A, B, delta and delta %', () => {
    expect(compare.status, compare.stderr).toBe(0);
    expect(compare.stdout).toMatch(new RegExp(`^A: ${a}\nB: ${b}\n +figure +A +B +delta +delta %\n`));
    expect(tableRow(compare.stdout, 'devices')).toEqual({ changed: false, a: DEVICES, b: DEVICES });
    expect(compare.stdout).toContain(`compare: ${b}/compare.html\n`);
  });

  it('marks the failure figures that differ, with the values each run wrote', () => {
    const failureRows = compare.stdout.split('\n').filter((l) => /^[* ] failures\./.test(l));
    expect(failureRows.length).toBeGreaterThan(0);
    expect(failureRows.some((l) => l.startsWith('*'))).toBe(true);
    // Fewer devices got the new root: more of them fail and stay unable to connect.
    const unrecovered = tableRow(compare.stdout, 'unrecovered.devices');
    expect(unrecovered?.changed).toBe(true);
    expect(number(unrecovered?.a ?? '')).toBe(summaries.a.unrecovered.devices);
    expect(number(unrecovered?.b ?? '')).toBe(summaries.b.unrecovered.devices);
    expect(summaries.b.unrecovered.devices).toBeGreaterThan(summaries.a.unrecovered.devices);
    const modern = 'failures.byCohort.modern-updated.device:untrusted_root.devices';
    const tallyA = summaries.a.failures.byCohort['modern-updated']?.['device:untrusted_root']?.devices;
    const tallyB = summaries.b.failures.byCohort['modern-updated']?.['device:untrusted_root']?.devices;
    expect(tallyB).toBeGreaterThan(tallyA ?? 0);
    const row = tableRow(compare.stdout, modern);
    expect(row?.changed).toBe(true);
    expect(row?.b).toBe(String(tallyB));
  });

  it('writes the same table to <run-b>/compare.html, the changed rows highlighted', () => {
    const html = readFileSync(join(b, 'compare.html'), 'utf8');
    expect(html).toContain(
      `<tr class="changed"><td class="mono">unrecovered.devices</td><td class="num">${summaries.a.unrecovered.devices}</td><td class="num">${summaries.b.unrecovered.devices}</td>`,
    );
    expect(html).toContain(`<tr><td class="mono">devices</td><td class="num">${DEVICES}</td><td class="num">${DEVICES}</td><td class="num">0</td><td class="num">0%</td></tr>`);
    const changedInTable = compare.stdout.split('\n').filter((l) => l.startsWith('* ')).length;
    expect(html.match(/<tr class="changed">/g)).toHaveLength(changedInTable);
  });

  it('draws both availability curves on one timeline with the markers, in Chromium, without errors', async () => {
    browser = await launchChromium();
    const { page, errors, requests } = await openPage(browser, join(b, 'compare.html'));
    const [chart] = await drawnCharts(page);
    expect(chart?.id).toBe('chart-availability');
    expect(chart?.datasets.map((d) => d.label)).toEqual([`A: ${a}`, `B: ${b}`]);
    expect(chart?.datasets.map((d) => d.points)).toEqual([summaries.a.availability.samples.length, summaries.b.availability.samples.length]);
    for (const d of chart?.datasets ?? []) expect(d.drawn).toBe(d.points);
    expect(chart?.lines.some((l) => l.value === Date.parse('2030-01-01T00:00:00Z') && l.labels.includes('root root-2010 expires'))).toBe(true);
    expect(chart?.painted).toBeGreaterThan(0.02);
    expect(errors).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it('writes the page where --out says', async () => {
    const out = join(work, 'elsewhere.html');
    const result = await startCli(['compare', a, b, '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('certfleet compare: root-expiry-2030');
  });

  it('exits 2 naming the run folder that is missing, and writes no page', async () => {
    const out = join(work, 'never.html');
    const result = await startCli(['compare', a, join(work, 'missing'), '--out', out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`certfleet: ${join(work, 'missing', 'summary.json')}: no such file (is ${join(work, 'missing')} a run folder written by certfleet run?)\n`);
    expect(existsSync(out)).toBe(false);
  });
});
