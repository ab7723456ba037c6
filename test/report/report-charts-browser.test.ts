/**
 * report.html's availability charts as a person sees them, in headless Chromium, on a 20-device dst-root-ca-x3-2021
 * run: four cohorts, two at 100% and two at 0% for most of three years (their lines coincide), and two one-second
 * cliffs three years apart. The evidence is pixels of screenshots (every cohort's own colour shows on the fleet chart
 * and on its small chart) and Chart.js's own scales (lines off the border, each zoom spans its cliff). A screenshot
 * of the section is saved in the test's temporary folder.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../bench/chromium.js';
import type { ReportModel } from '../../sim/report/report-model.js';
import { writeReport } from '../../sim/report/write-report.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import type { JudgedRunSummary } from '../../sim/thresholds/evaluate-thresholds.js';
import { colourDistance, countColours, parseColour, plotScreenshot, type Rgb } from './chart-pixels.js';
import { openPage, type OpenedPage } from './open-page.js';

const SCENARIO = fileURLToPath(new URL('../../scenarios/dst-root-ca-x3-2021.yaml', import.meta.url));
/** The two cliffs: DST Root CA X3 expires, then the ISRG Root X1 cross-sign it signed. */
const CLIFFS = [Date.parse('2021-09-30T14:01:15Z'), Date.parse('2024-09-30T18:14:03Z')];
/** Pixels of its own colour a line must show to count as visible: a few marker shapes or a stretch of line. */
const VISIBLE = 60;

interface ChartFacts {
  datasets: { label: string; colour: string; xs: number[]; values: number[]; visible: boolean }[];
  markerColours: string[];
  y: { min: number; max: number; top: number; bottom: number; px0: number; px100: number };
  /** Pixels between two x values a day apart: the width of one sample interval of this run. */
  pixelsPerDay: number;
}

function chartFacts(page: Page, id: string): Promise<ChartFacts> {
  return page.evaluate((canvasId: string) => {
    interface ChartLike {
      data: { datasets: { label: string; borderColor?: string; backgroundColor: string; data: { x: number; y: number }[] }[] };
      isDatasetVisible(i: number): boolean;
      options: { plugins: { annotation: { annotations: Record<string, { type: string; borderColor?: string }> } } };
      scales: { x: { min: number; getPixelForValue(v: number): number }; y: { min: number; max: number; top: number; bottom: number; getPixelForValue(v: number): number } };
    }
    const chart = (globalThis as unknown as { Chart: { getChart(id: string): ChartLike | undefined } }).Chart.getChart(canvasId);
    if (!chart) throw new Error(`no chart on #${canvasId}`);
    const { x, y } = chart.scales;
    return {
      datasets: chart.data.datasets.map((d, i) => ({ label: d.label, colour: d.borderColor ?? d.backgroundColor, xs: d.data.map((p) => p.x), values: d.data.map((p) => p.y), visible: chart.isDatasetVisible(i) })),
      markerColours: Object.values(chart.options.plugins.annotation.annotations)
        .filter((a) => a.type === 'line' && a.borderColor !== undefined)
        .map((a) => a.borderColor as string),
      y: { min: y.min, max: y.max, top: y.top, bottom: y.bottom, px0: y.getPixelForValue(0), px100: y.getPixelForValue(1) },
      pixelsPerDay: x.getPixelForValue(x.min + 86_400_000) - x.getPixelForValue(x.min),
    };
  }, id);
}

describe('the availability charts of a 20-device dst-root-ca-x3-2021 run, in Chromium', () => {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-report-charts-'));
  const runDir = join(work, 'run');
  const screenshot = join(work, 'availability.png');
  let browser: Browser;
  let summary: JudgedRunSummary;
  let opened: OpenedPage;
  let model: ReportModel;
  let fleetChart: ChartFacts;
  const cohortColours = (): Rgb[] => fleetChart.datasets.slice(1).map((d) => parseColour(d.colour));

  beforeAll(async () => {
    browser = await launchChromium();
    ({ summary } = await runScenario({ loaded: loadScenario(SCENARIO), devices: 20, outDir: runDir, workers: 1 }));
    await writeReport(runDir);
    opened = await openPage(browser, join(runDir, 'report.html'));
    model = JSON.parse(await opened.page.$eval('#certfleet-data', (e) => e.textContent ?? '')) as ReportModel;
    fleetChart = await chartFacts(opened.page, 'chart-availability');
    // The whole availability section, fleet chart to zooms, as a person sees it: look at it when a test here fails.
    const section = await opened.page.evaluate(() => {
      const d = (globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): { top: number } } | null } }).document;
      const top = d.querySelector('#chart-availability')?.getBoundingClientRect().top ?? 0;
      const end = d.querySelector('.zooms')?.getBoundingClientRect();
      return { top: top - 40, bottom: (end as { bottom?: number } | undefined)?.bottom ?? top + 900 };
    });
    await opened.page.screenshot({ path: screenshot, clip: { x: 0, y: section.top, width: 1280, height: section.bottom - section.top } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('runs four cohorts of which at least two lie on one another for most of the run (the case to solve)', () => {
    expect(Object.keys(summary.cohorts)).toHaveLength(4);
    const series = model.availability.cohorts.map((c) => c.series.values);
    const coinciding = series.flatMap((a, i) => series.slice(i + 1).filter((b) => b.filter((v, k) => v === a[k]).length > 0.9 * a.length)).length;
    expect(coinciding).toBeGreaterThanOrEqual(2);
    expect(opened.errors).toEqual([]);
  });

  it('gives the fleet and each cohort its own colour, and every marker line a grey far from every data colour', async () => {
    const colours = fleetChart.datasets.map((d) => parseColour(d.colour).join(','));
    expect(new Set(colours).size).toBe(fleetChart.datasets.length);
    const ids = await opened.page.$$eval('canvas', (cs) => cs.map((c) => c.id));
    const charts = await Promise.all(ids.map((id) => chartFacts(opened.page, id)));
    // The rotations chart's "rotations failed" red among them: markers used to share it.
    const dataColours = charts.flatMap((c) => c.datasets.map((d) => parseColour(d.colour)));
    const markerColours = charts.flatMap((c) => c.markerColours.map(parseColour));
    expect(markerColours.length).toBeGreaterThan(0);
    for (const marker of markerColours) {
      expect(marker[0] === marker[1] && marker[1] === marker[2], `marker ${marker.join(',')} is grey`).toBe(true);
      for (const data of dataColours) expect(colourDistance(marker, data), `marker ${marker.join(',')} vs data ${data.join(',')}`).toBeGreaterThan(60);
    }
    for (const chart of charts) {
      const own = chart.datasets.map((d) => parseColour(d.colour).join(','));
      expect(new Set(own).size, chart.datasets.map((d) => d.label).join(', ')).toBe(own.length);
    }
  });

  it("shows pixels of every cohort's own colour in the fleet chart's plot, where cohort lines coincide", async () => {
    const png = await plotScreenshot(opened.page, 'chart-availability', join(work, 'fleet-plot.png'));
    const counts = await countColours(browser, png, cohortColours());
    counts.forEach((n, i) => expect(n, fleetChart.datasets[i + 1]?.label).toBeGreaterThanOrEqual(VISIBLE));
  });

  it('draws lines at 100% and 0% inside the plot, not on its border', () => {
    expect(fleetChart.y.max).toBeGreaterThan(1);
    expect(fleetChart.y.min).toBeLessThan(0);
    expect(fleetChart.y.px100 - fleetChart.y.top).toBeGreaterThanOrEqual(6);
    expect(fleetChart.y.bottom - fleetChart.y.px0).toBeGreaterThanOrEqual(6);
  });

  it("hides a cohort's line when its legend entry is clicked, and shows it again on a second click", async () => {
    const { page } = opened;
    const target = 2;
    const clickLegend = async () => {
      const at = await page.evaluate((datasetIndex: number) => {
        interface Legend {
          legendItems: { datasetIndex: number }[];
          legendHitBoxes: { left: number; top: number; width: number; height: number }[];
        }
        const g = globalThis as unknown as { Chart: { getChart(id: string): { legend: Legend; canvas: { scrollIntoView(o: { block: string }): void; getBoundingClientRect(): { left: number; top: number } } } | undefined } };
        const chart = g.Chart.getChart('chart-availability');
        const k = chart?.legend.legendItems.findIndex((item) => item.datasetIndex === datasetIndex) ?? -1;
        const box = chart?.legend.legendHitBoxes[k];
        // A click lands only inside the viewport: the chart is brought into it first.
        chart?.canvas.scrollIntoView({ block: 'center' });
        const rect = chart?.canvas.getBoundingClientRect();
        return box && rect && { x: rect.left + box.left + box.width / 2, y: rect.top + box.top + box.height / 2 };
      }, target);
      if (!at) throw new Error('no legend entry');
      await page.mouse.click(at.x, at.y);
    };
    const colour = parseColour(fleetChart.datasets[target]?.colour ?? '');
    const visiblePixels = async () => (await countColours(browser, await plotScreenshot(page, 'chart-availability'), [colour]))[0] ?? 0;
    const visible = async () => (await chartFacts(page, 'chart-availability')).datasets[target]?.visible;
    // A click computed while the page still settles (a late resize moves the legend on a loaded machine) can land
    // beside the entry: click again from the legend's position now, a few times at most; a click must toggle it.
    const toggle = async (to: boolean) => {
      for (let attempt = 0; attempt < 3 && (await visible()) !== to; attempt += 1) {
        await clickLegend();
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    await toggle(false);
    expect(await visible()).toBe(false);
    expect(await visiblePixels()).toBe(0);
    await toggle(true);
    expect(await visible()).toBe(true);
    expect(await visiblePixels()).toBeGreaterThanOrEqual(VISIBLE);
  });

  it('draws one small chart per cohort, with its line in its colour, off the border, in the chart\'s own pixels', async () => {
    const colours = cohortColours();
    for (const [i, c] of model.availability.cohorts.entries()) {
      const facts = await chartFacts(opened.page, `chart-cohort-${i}`);
      expect(facts.datasets[0]?.label).toBe(c.name);
      expect(facts.datasets[0]?.values).toEqual(c.series.values);
      expect(facts.y.px100 - facts.y.top, c.name).toBeGreaterThanOrEqual(3);
      expect(facts.y.bottom - facts.y.px0, c.name).toBeGreaterThanOrEqual(3);
      const [own] = await countColours(browser, await plotScreenshot(opened.page, `chart-cohort-${i}`), [colours[i] as Rgb]);
      expect(own, c.name).toBeGreaterThanOrEqual(VISIBLE);
    }
  });

  it('zooms on each incident of summary.json: a chart whose window holds the cliff, a sample interval wide enough to see, its y range spanning the drop', async () => {
    const { windows, source } = model.zooms;
    // One per incident of summary.json: the two cliffs.
    expect(source).toBe('incidents');
    expect(windows.map((w) => w.start)).toEqual(summary.incidents.map((i) => Date.parse(i.start)));
    expect(windows).toHaveLength(2);
    await expectZoomsOnCliffs(opened.page, windows);
  });

  it('zooms on the two largest falls of availability in a run folder written before summary.json listed incidents', async () => {
    const oldDir = join(work, 'before-incidents');
    cpSync(runDir, oldDir, { recursive: true });
    const { incidents: _incidents, quietMarkers: _quiet, ...old } = JSON.parse(readFileSync(join(oldDir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(oldDir, 'summary.json'), JSON.stringify(old));
    await writeReport(oldDir);
    const { page, errors } = await openPage(browser, join(oldDir, 'report.html'));
    const { zooms } = JSON.parse(await page.$eval('#certfleet-data', (e) => e.textContent ?? '')) as ReportModel;
    expect(zooms.source).toBe('falls');
    expect(zooms.windows).toHaveLength(2);
    await expectZoomsOnCliffs(page, zooms.windows);
    expect(errors).toEqual([]);
    await page.close();
  });

  /** A zoom chart per window, each holding a cliff, its samples wide apart, its y range spanning the drop. */
  async function expectZoomsOnCliffs(page: Page, windows: ReportModel['zooms']['windows']): Promise<void> {
    expect(await page.$$eval('canvas[id^="chart-zoom-"]', (cs) => cs.length)).toBe(windows.length);
    for (const cliff of CLIFFS) expect(windows.some((w) => w.from < cliff && cliff < w.to), new Date(cliff).toISOString()).toBe(true);
    // On the three-year axis a day between samples is under two pixels: the cliff is a vertical hairline.
    expect(fleetChart.pixelsPerDay).toBeLessThan(2);
    for (const [k, w] of windows.entries()) {
      const zoom = await chartFacts(page, `chart-zoom-${k}`);
      const fleet = zoom.datasets[0];
      expect(fleet?.label).toBe('fleet');
      const before = fleet?.values.filter((_, i) => (fleet.xs[i] ?? 0) <= w.start) ?? [];
      const after = fleet?.values.filter((_, i) => (fleet.xs[i] ?? 0) > w.start) ?? [];
      const high = Math.max(...before);
      const low = Math.min(...after);
      expect(low, w.title).toBeLessThan(high);
      expect(zoom.y.min).toBeLessThanOrEqual(low);
      expect(zoom.y.max).toBeGreaterThanOrEqual(high);
      expect(zoom.pixelsPerDay, w.title).toBeGreaterThan(8);
      // The fall is a good part of the chart's height, not a few pixels at the top of a 0-100% axis.
      expect((zoom.y.bottom - zoom.y.top) * ((high - low) / (zoom.y.max - zoom.y.min)), w.title).toBeGreaterThan(0.1 * (zoom.y.bottom - zoom.y.top));
    }
  }

  it('saves a screenshot of the availability section in the test folder', () => {
    const png = readFileSync(screenshot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(40_000);
  });
});
