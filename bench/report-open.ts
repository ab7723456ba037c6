/**
 * `npm run bench:report`: how long report.html of a 10,000-device run takes to open in headless Chromium, from
 * navigation to every chart drawn and the first page of the unrecovered table in the DOM (median of 5), and how big
 * the file is. The run is a real 50-device root-expiry-2030 run grown to 10,000 unrecovered devices
 * (bench/large-report.ts); `npm run bench:report -- <results-dir>` measures that run's report instead. Prints JSON on
 * stdout.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runScenario } from '../sim/run/run-scenario.js';
import { writeReport } from '../sim/report/write-report.js';
import { loadScenario } from '../sim/scenario/load-scenario.js';
import { launchChromium } from './chromium.js';
import { growRunFolder } from './large-report.js';

const OPENS = 5;
const scenarioFile = fileURLToPath(new URL('../../scenarios/root-expiry-2030.yaml', import.meta.url));
const dir = join('results', 'bench', `report-open-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`);
mkdirSync(dir, { recursive: true });

const given = process.argv[2];
let runDir: string;
if (given) {
  runDir = given;
} else {
  console.error('certfleet bench: a 50-device root-expiry-2030 run to grow the report from');
  await runScenario({ loaded: loadScenario(scenarioFile), devices: 50, outDir: join(dir, 'small'), workers: 1 });
  runDir = growRunFolder(join(dir, 'small'), join(dir, 'large'));
}
const file = await writeReport(runDir);
const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { devices: number; unrecovered: { devices: number } };

const browser = await launchChromium();
const opens: { renderedMs: number; loadEventMs: number }[] = [];
try {
  for (let i = 0; i < OPENS; i += 1) {
    // A fresh page each time, so nothing parsed or compiled is reused from the previous open.
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-rendered]');
    // Both are ms since navigation start (performance.timeOrigin), read in the page.
    opens.push(
      await page.evaluate(() => {
        const g = globalThis as unknown as { document: { body: { dataset: { rendered?: string } } }; performance: { getEntriesByType(t: string): { loadEventEnd: number }[] } };
        return { renderedMs: Number(g.document.body.dataset.rendered), loadEventMs: g.performance.getEntriesByType('navigation')[0]?.loadEventEnd ?? Number.NaN };
      }),
    );
    await page.close();
  }
} finally {
  await browser.close();
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const rendered = opens.map((o) => Math.round(o.renderedMs));
console.log(
  JSON.stringify(
    {
      report: file,
      reportBytes: statSync(file).size,
      devices: summary.devices,
      unrecoveredDevices: summary.unrecovered.devices,
      opens: OPENS,
      navigationToChartsRenderedMs: { median: median(rendered), runs: rendered },
      navigationToLoadEventMs: { median: Math.round(median(opens.map((o) => o.loadEventMs))) },
      chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      node: process.version,
    },
    null,
    2,
  ),
);
