import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shell of certfleet's HTML pages: one file that opens with no network (the pages are mailed, attached to CI
 * runs, opened from air-gapped labs). Chart.js and its annotation plugin are inlined as their UMD builds, the data
 * is embedded as JSON, and the page's own script comes from sim/report/assets/.
 */

const requireFromHere = createRequire(import.meta.url);
/** The source tree, from sim/report/ or from dist/sim/report/: the page scripts are assets, not compiled. */
const ASSETS = join(fileURLToPath(new URL('../../', import.meta.url)).replace(/dist\/$/, ''), 'sim', 'report', 'assets');

export interface PageInput {
  title: string;
  /** Trusted HTML: callers escape what they interpolate (escapeHtml). */
  body: string;
  /** Read by the page script from #certfleet-data. */
  data: unknown;
  /** Asset files (sim/report/assets/) run in order, after the chart libraries. */
  scripts: string[];
}

export function htmlPage(input: PageInput): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
${input.body}
<script type="application/json" id="certfleet-data">${embedJson(input.data)}</script>
${chartLibraries().map((code) => `<script>${scriptText(code)}</script>`).join('\n')}
<script>${scriptText(input.scripts.map((name) => readFileSync(join(ASSETS, name), 'utf8')).join('\n'))}</script>
</body>
</html>
`;
}

let libraries: string[] | undefined;

/** chart.js's exports map hides dist/, so the UMD builds are found next to the package's main file. */
function chartLibraries(): string[] {
  libraries ??= [
    join(dirname(requireFromHere.resolve('chart.js')), 'chart.umd.min.js'),
    join(dirname(requireFromHere.resolve('chartjs-plugin-annotation')), 'chartjs-plugin-annotation.min.js'),
  ].map((file) => readFileSync(file, 'utf8'));
  return libraries;
}

/**
 * JSON that cannot end its <script> element early: every "<" becomes \u003c (so no "</script>" or "<!--"), and the
 * line separators U+2028/U+2029 are escaped as well. JSON.parse reads them back unchanged.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Script text that cannot close its element or open an HTML comment (HTML 4.12.1.3 restrictions). */
function scriptText(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const PAGE_STYLE = `
:root { color-scheme: light; --fg: #1d232a; --muted: #5b6672; --line: #d9dee3; --bad: #b3261e; --good: #1b7f3b; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; }
h1 { font-size: 20px; margin: 8px 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.headline { font-size: 17px; margin: 8px 0 12px; }
.muted { color: var(--muted); }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.status.ok { background: #e3f4e8; color: var(--good); }
.status.bad { background: #fbe4e2; color: var(--bad); }
dl.manifest { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; font-size: 13px; }
dl.manifest dt { color: var(--muted); }
dl.manifest dd { margin: 0; word-break: break-all; }
.chart { position: relative; height: 320px; margin: 8px 0 4px; }
.chart.small { height: 150px; } .chart.zoom { height: 230px; }
h3 { font-size: 14px; margin: 18px 0 6px; }
.multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); gap: 8px 16px; }
.zooms { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 8px 16px; }
figure { margin: 0; } .zoom-chart { display: flex; flex-direction: column; justify-content: flex-end; } figcaption { font-size: 12px; font-weight: 600; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f4f6f8; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.changed td { background: #fff7e0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.pass { color: var(--good); font-weight: 600; }
.fail { color: var(--bad); font-weight: 600; }
.toolbar { display: flex; gap: 12px; align-items: center; margin: 8px 0; }
.toolbar input { font: inherit; padding: 3px 6px; min-width: 280px; }
button { font: inherit; padding: 3px 10px; cursor: pointer; }
.figures { display: flex; gap: 24px; flex-wrap: wrap; margin: 4px 0; }
.figures div { font-size: 13px; } .figures b { font-size: 16px; }
`;
