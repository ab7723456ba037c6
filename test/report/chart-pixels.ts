/**
 * Pixel evidence for the report browser tests: a screenshot of a chart's plot area (what a person sees, legend and
 * axes left out), and how many of its pixels have a given colour. The PNG is decoded in a blank page of the same
 * Chromium (the report's own page refuses every request but itself, data: URLs included).
 */
import type { Browser, Page } from 'puppeteer-core';

export type Rgb = [number, number, number];

/** "#1f77b4", "#111", "rgb(1, 2, 3)", "rgba(1, 2, 3, 0.5)" as [r, g, b]. */
export function parseColour(text: string): Rgb {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})(?:[0-9a-f]{2})?$/i.exec(text.trim());
  if (hex?.[1]) {
    const h = hex[1].length === 3 ? [...hex[1]].map((c) => c + c).join('') : hex[1];
    return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
  }
  const rgb = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/i.exec(text.trim());
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw new Error(`not a colour this test reads: ${text}`);
}

export function colourDistance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** A PNG screenshot of the plot area (Chart.js chartArea) of the chart drawn on canvas#id. */
export async function plotScreenshot(page: Page, id: string, path?: string): Promise<Uint8Array> {
  const canvas = await page.$(`#${id}`);
  if (!canvas) throw new Error(`no canvas #${id}`);
  const area = await page.evaluate((canvasId: string) => {
    const g = globalThis as unknown as { Chart: { getChart(id: string): { chartArea: { left: number; top: number; right: number; bottom: number } } | undefined } };
    const a = g.Chart.getChart(canvasId)?.chartArea;
    return a && { x: a.left, y: a.top, width: a.right - a.left, height: a.bottom - a.top };
  }, id);
  if (!area) throw new Error(`no chart on #${id}`);
  return canvas.screenshot({ clip: area, ...(path ? { path } : {}) });
}

/** For each colour, the pixels of the PNG within `tolerance` (per channel) of it. */
export async function countColours(browser: Browser, png: Uint8Array, colours: Rgb[], tolerance = 8): Promise<number[]> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      async (b64: string, wanted: Rgb[], tol: number) => {
        const g = globalThis as unknown as {
          Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
          document: { createElement(tag: 'canvas'): { width: number; height: number; getContext(k: '2d'): { drawImage(i: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } };
        };
        const image = new g.Image();
        image.src = `data:image/png;base64,${b64}`;
        await image.decode();
        const canvas = g.document.createElement('canvas');
        canvas.width = image.width;
        canvas.height = image.height;
        const context = canvas.getContext('2d');
        context.drawImage(image, 0, 0);
        const pixels = context.getImageData(0, 0, image.width, image.height).data;
        const counts = wanted.map(() => 0);
        for (let p = 0; p < pixels.length; p += 4) {
          wanted.forEach(([r, gr, b], k) => {
            if (Math.abs((pixels[p] ?? 0) - r) <= tol && Math.abs((pixels[p + 1] ?? 0) - gr) <= tol && Math.abs((pixels[p + 2] ?? 0) - b) <= tol) counts[k] = (counts[k] ?? 0) + 1;
          });
        }
        return counts;
      },
      Buffer.from(png).toString('base64'),
      colours,
      tolerance,
    );
  } finally {
    await page.close();
  }
}
