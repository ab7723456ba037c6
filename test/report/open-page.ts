/**
 * For the report browser tests: opens a certfleet page from disk in headless Chromium with the network cut off,
 * records console errors, page errors and every request, and reads back what each chart drew.
 */
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';

export interface OpenedPage {
  page: Page;
  /** console.error messages and uncaught exceptions. */
  errors: string[];
  /** Every URL the page asked for (only the page itself when it is self-contained). */
  requests: string[];
}

export async function openPage(browser: Browser, file: string): Promise<OpenedPage> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error instanceof Error ? error.message : String(error)}`));
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    requests.push(request.url());
    // The page must open offline: anything but the file itself is refused (and shows up in `requests`).
    if (request.url() === pathToFileURL(file).href) void request.continue();
    else void request.abort();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForSelector('body[data-rendered]', { timeout: 20_000 });
  return { page, errors, requests };
}

/** What one canvas holds, read through Chart.getChart in the page. */
export interface DrawnChart {
  id: string;
  type: string | undefined;
  datasets: { label: string; points: number; nonZero: number; drawn: number }[];
  /** Share of the canvas's pixels that are not transparent. */
  painted: number;
  /** Vertical-line annotations: position (x value) and label lines. */
  lines: { value: number; labels: string[] }[];
}

export function drawnCharts(page: Page): Promise<DrawnChart[]> {
  return page.evaluate(() => {
    type Point = number | { x: number; y: number };
    interface ChartLike {
      config: { type: string };
      data: { datasets: { label: string; data: Point[] }[] };
      getDatasetMeta(i: number): { data: { x: number; y: number }[] };
      chartArea: { left: number; right: number; top: number; bottom: number };
      options: { plugins?: { annotation?: { annotations?: Record<string, { type: string; value?: number; label?: { content?: string | string[] } }> } } };
    }
    const chartOf = (globalThis as unknown as { Chart: { getChart(c: unknown): ChartLike | undefined } }).Chart.getChart;
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ id: string; width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }> } }).document;
    return Array.from(doc.querySelectorAll('canvas')).map((canvas) => {
      const chart = chartOf(canvas);
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) painted += 1;
      const area = chart?.chartArea;
      const annotations = Object.values(chart?.options.plugins?.annotation?.annotations ?? {});
      return {
        id: canvas.id,
        type: chart?.config.type,
        datasets: (chart?.data.datasets ?? []).map((d, i) => ({
          label: d.label,
          points: d.data.length,
          nonZero: d.data.filter((p) => (typeof p === 'number' ? p : p.y) !== 0).length,
          // Elements Chart.js placed inside the plot area: the data reached the pixels.
          drawn: chart!.getDatasetMeta(i).data.filter((e) => Number.isFinite(e.x) && Number.isFinite(e.y) && area !== undefined && e.x >= area.left - 1 && e.x <= area.right + 1).length,
        })),
        painted: painted / (pixels.length / 4),
        lines: annotations
          .filter((a) => a.type === 'line' && a.value !== undefined)
          .map((a) => ({ value: a.value as number, labels: ([] as string[]).concat(a.label?.content ?? []) })),
      };
    });
  });
}
