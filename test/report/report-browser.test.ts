/**
 * report.html of a real run, opened in headless Chromium: every chart drew its data, the markers are on every
 * timeline chart, the availability drop sits at the root's expiry, nothing errors and nothing is fetched. Also the
 * 10,000-device report (size, paging) and a partial run's report. Chromium missing is a failure, not a skip.
 */
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../bench/chromium.js';
import { growRunFolder } from '../../bench/large-report.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { headline } from '../../sim/report/headline.js';
import { writeReport } from '../../sim/report/write-report.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import type { JudgedRunSummary } from '../../sim/thresholds/evaluate-thresholds.js';
import { drawnCharts, openPage, type DrawnChart } from './open-page.js';

const SHIPPED = fileURLToPath(new URL('../../scenarios/root-expiry-2030.yaml', import.meta.url));
/** root-2010's notAfter in root-expiry-2030.yaml: the server root of the fleet's original trust stores. */
const ROOT_EXPIRY = Date.parse('2030-01-01T00:00:00Z');
const TIMELINE_CHARTS = ['chart-availability', 'chart-failures', 'chart-rotations', 'chart-audits'];

describe('report.html of a 50-device root-expiry-2030 run, in Chromium', () => {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-report-browser-'));
  const runDir = join(work, 'run');
  let summary: JudgedRunSummary;
  let browser: Browser;
  let charts: DrawnChart[];
  let opened: Awaited<ReturnType<typeof openPage>>;

  beforeAll(async () => {
    // First: without Chromium the tests fail at once, with how to install it.
    browser = await launchChromium();
    // The shipped file plus one probe, as dst-root-ca-x3-2021.yaml has: a broker restart at the expiry makes every
    // device re-handshake then. Without it, each device meets the expired root at its next reconnect (every 21 days
    // on average), and which sample shows the first failure depends on the seed.
    const text = readFileSync(SHIPPED, 'utf8').replace(/^events:\n/m, 'events:\n  - { type: broker-restart, at: 2030-01-01T00:00:00Z }\n');
    const file = join(work, 'root-expiry-2030.yaml');
    writeFileSync(file, text);
    ({ summary } = await runScenario({ loaded: loadScenario(file), devices: 50, outDir: runDir, workers: 1 }));
    await writeReport(runDir);
    opened = await openPage(browser, join(runDir, 'report.html'));
    charts = await drawnCharts(opened.page);
    await opened.page.screenshot({ path: join(runDir, 'report.png'), fullPage: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('opens without a console error or page error, and without asking the network for anything', () => {
    expect(opened.errors).toEqual([]);
    expect(opened.requests).toHaveLength(1);
    expect(opened.requests[0]).toMatch(/^file:.*report\.html$/);
  });

  it('draws all five charts, each with its data inside the plot and visible pixels', () => {
    const cohortIds = Object.keys(summary.cohorts).map((_, i) => `chart-cohort-${i}`);
    const main = charts.filter((c) => !/^chart-(cohort|zoom)-\d+$/.test(c.id));
    expect(main.map((c) => c.id).sort()).toEqual(['chart-audits', 'chart-availability', 'chart-failures', 'chart-latency', 'chart-rotations']);
    // One small chart per cohort beside the fleet chart (report-charts-browser.test.ts looks at them closely).
    expect(charts.filter((c) => c.id.startsWith('chart-cohort-')).map((c) => c.id)).toEqual(cohortIds);
    for (const chart of main) {
      expect(chart.type, chart.id).toBeDefined();
      expect(chart.datasets.length, chart.id).toBeGreaterThan(0);
      for (const d of chart.datasets) {
        expect(d.points, `${chart.id}: ${d.label}`).toBeGreaterThan(0);
        expect(d.drawn, `${chart.id}: ${d.label}`).toBe(d.points);
      }
      expect(chart.datasets.some((d) => d.nonZero > 0), chart.id).toBe(true);
      expect(chart.painted, chart.id).toBeGreaterThan(0.02);
    }
  });

  it('plots the fleet and every cohort, each point one availability sample', () => {
    const availability = charts.find((c) => c.id === 'chart-availability');
    expect(availability?.datasets.map((d) => d.label)).toEqual(['fleet', ...Object.keys(summary.cohorts)]);
    for (const d of availability?.datasets ?? []) expect(d.points).toBe(summary.availability.samples.length);
  });

  it('stacks one failure series per judge:cause the run recorded', () => {
    const causes = new Set(summary.activity.flatMap((a) => Object.keys(a.failures)));
    const failures = charts.find((c) => c.id === 'chart-failures');
    expect(failures?.datasets.map((d) => d.label.split(': ')[0]).sort()).toEqual([...causes].sort());
  });

  it('marks every expiry and scenario event, labelled, on every timeline chart', () => {
    const instants = [...new Set(summary.markers.map((m) => Date.parse(m.t)))];
    for (const id of TIMELINE_CHARTS) {
      const chart = charts.find((c) => c.id === id);
      expect(chart?.lines.map((l) => l.value).sort(), id).toEqual(instants.sort());
      const rootLine = chart?.lines.find((l) => l.value === ROOT_EXPIRY);
      expect(rootLine?.labels, id).toContain('root root-2010 expires');
      expect(rootLine?.labels, id).toContain('broker restart');
    }
  });

  it('shows the first availability drop at the first sample after root-2010 expires, where the line is drawn', async () => {
    const drop = await opened.page.evaluate((expiry: number) => {
      type Chart = { data: { datasets: { data: { x: number; y: number }[] }[] }; scales: { x: { getPixelForValue(v: number): number } }; getDatasetMeta(i: number): { data: { x: number }[] } };
      const g = globalThis as unknown as { Chart: { getChart(id: string): Chart | undefined } };
      const chart = g.Chart.getChart('chart-availability');
      const fleet = chart?.data.datasets[0]?.data ?? [];
      const i = fleet.findIndex((p, k) => k > 0 && p.y < (fleet[k - 1]?.y ?? p.y));
      const meta = chart?.getDatasetMeta(0).data ?? [];
      return {
        before: fleet[i - 1],
        at: fleet[i],
        beforePx: meta[i - 1]?.x,
        atPx: meta[i]?.x,
        expiryPx: chart?.scales.x.getPixelForValue(expiry),
      };
    }, ROOT_EXPIRY);
    const samples = summary.availability.samples.map((s) => Date.parse(s.t));
    // A certificate is valid through its notAfter (RFC 5280 4.1.2.5): the sample at the expiry instant still sees
    // the fleet connected, the next one sees the drop.
    const firstAfter = samples.find((t) => t > ROOT_EXPIRY);
    expect(drop.at?.x).toBe(firstAfter);
    expect(drop.before?.x).toBeLessThanOrEqual(ROOT_EXPIRY);
    expect(drop.at?.y).toBeLessThan(0.9);
    expect(drop.expiryPx).toBeGreaterThanOrEqual(drop.beforePx ?? Number.NaN);
    expect(drop.expiryPx).toBeLessThan(drop.atPx ?? Number.NaN);
  });

  it('heads the page with the generated sentence, dated at the expiry, and lists every incident under it', async () => {
    const text = await opened.page.$eval('#headline', (e) => e.textContent);
    expect(text).toBe(headline(summary));
    expect(text).toMatch(
      /^(One incident|\d+ incidents)\. From 2030-01-01T00:00(:\d\d)?Z, \d+ devices \(\d+\.\d%\) started failing: .+\(device:(expired_root|expired_on_chosen_path|untrusted_root), [\d,]+ attempts\).*\. \d+\.\d% never recovered\.$/,
    );
    const items = await opened.page.$$eval('#incidents li', (lis) => lis.map((li) => li.textContent));
    expect(items).toHaveLength(summary.incidents.length);
    expect(items[0]).toMatch(/^2030-01-01T00:00(:\d\d)?Z: \d+ devices/);
  });

  it('lists every unrecovered device with the repro command for it, and the scenario and seed it replays', async () => {
    const rows = await opened.page.$$eval('#unrecovered-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => (td as { textContent: string | null }).textContent)));
    expect(rows).toHaveLength(summary.unrecovered.devices);
    expect(rows.map((r) => r[0]).sort()).toEqual(summary.unrecovered.list.map((u) => u.device).sort());
    for (const row of rows) expect(row[4]).toBe(`certfleet repro ${runDir} --device ${row[0]}`);
    const page = await opened.page.content();
    expect(page).toContain(join(work, 'root-expiry-2030.yaml'));
    expect(page).toContain(`seed <code>${summary.seed}</code>`);
  });

  it('saves a screenshot of the whole page into the run folder', () => {
    const png = readFileSync(join(runDir, 'report.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(50_000);
  });

  describe('grown to 10,000 unrecovered devices', () => {
    let large: string;

    beforeAll(async () => {
      large = growRunFolder(runDir, join(work, 'large'));
      await writeReport(large);
    });

    it('stays under 5 MB', () => {
      expect(statSync(join(large, 'report.html')).size).toBeLessThan(5 * 1024 * 1024);
    });

    it('renders the first 200 rows, adds 200 with "show more", and filters the whole list', async () => {
      const { page, errors } = await openPage(browser, join(large, 'report.html'));
      const rowCount = () => page.$$eval('#unrecovered-table tbody tr', (trs) => trs.length);
      expect(await rowCount()).toBe(200);
      expect(await page.$eval('#unrecovered-count', (e) => e.textContent)).toBe('showing 200 of 10,000');
      await page.click('#unrecovered-more');
      expect(await rowCount()).toBe(400);
      await page.type('#unrecovered-filter', 'device-09999');
      await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#unrecovered-table tbody tr').length === 1);
      expect(await page.$eval('#unrecovered-table tbody tr td:last-child', (e) => e.textContent)).toBe(`certfleet repro ${large} --device device-09999`);
      expect((await drawnCharts(page)).every((c) => c.datasets.every((d) => d.drawn === d.points))).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    });
  });

  describe('of a run stopped part way', () => {
    it('says the run is partial, greys out the part it never reached and still draws', async () => {
      const partialDir = join(work, 'partial');
      cpSync(runDir, partialDir, { recursive: true });
      const cut = Date.parse('2029-12-15T00:00:00Z');
      const partial = {
        ...JSON.parse(readFileSync(join(partialDir, 'summary.json'), 'utf8')),
        complete: false,
        interruption: 'interrupted',
        timeline: { ...summary.timeline, reached: new Date(cut).toISOString() },
        availability: { ...summary.availability, samples: summary.availability.samples.filter((s) => Date.parse(s.t) <= cut) },
        activity: summary.activity.filter((a) => Date.parse(a.t) <= cut),
      };
      writeFileSync(join(partialDir, 'summary.json'), JSON.stringify(partial));
      await writeReport(partialDir);
      const { page, errors } = await openPage(browser, join(partialDir, 'report.html'));
      expect(await page.$eval('h1', (e) => e.textContent)).toContain('partial run');
      expect(await page.content()).toContain('partial: stopped early (interrupted) at 2029-12-15T00:00Z');
      const notReached = await page.evaluate(() => {
        const g = globalThis as unknown as { Chart: { getChart(id: string): { options: { plugins: { annotation: { annotations: Record<string, { xMin?: number }> } } } } | undefined } };
        return g.Chart.getChart('chart-availability')?.options.plugins.annotation.annotations.notReached?.xMin;
      });
      expect(notReached).toBe(cut);
      expect(errors).toEqual([]);
      await page.close();
    });
  });
});
