import type { FigureComparison } from './compare-runs.js';
import { comparisonCells } from './compare-table.js';
import { headline } from './headline.js';
import { escapeHtml, htmlPage } from './html-page.js';
import type { RunData } from './report-data.js';
import { formatCount, formatInstant } from './report-format.js';
import { groupMarkers, type MarkerGroup, type TimeSeries } from './report-model.js';

/** What compare.html's chart draws: both runs' fleet availability over one simulated timeline, with both runs' markers. */
export interface CompareModel {
  timeline: { start: number; end: number; reached: number };
  markers: MarkerGroup[];
  runs: { label: string; availability: TimeSeries }[];
}

export function renderCompare(a: RunData, b: RunData, rows: readonly FigureComparison[]): string {
  const h = escapeHtml;
  const model: CompareModel = {
    timeline: {
      start: Math.min(Date.parse(a.summary.timeline.start), Date.parse(b.summary.timeline.start)),
      end: Math.max(Date.parse(a.summary.timeline.end), Date.parse(b.summary.timeline.end)),
      // Each curve stops where its run stopped; nothing is greyed out on a comparison.
      reached: Math.max(Date.parse(a.summary.timeline.end), Date.parse(b.summary.timeline.end)),
    },
    markers: groupMarkers([...a.summary.markers, ...b.summary.markers]),
    runs: [a, b].map((run, i) => ({
      label: `${i === 0 ? 'A' : 'B'}: ${run.dir}`,
      availability: { t: run.summary.availability.samples.map((s) => Date.parse(s.t)), values: run.summary.availability.samples.map((s) => s.connected) },
    })),
  };
  const changed = rows.filter((r) => r.changed).length;
  const tableRows = rows.map((row) => {
    const c = comparisonCells(row);
    return `<tr${row.changed ? ' class="changed"' : ''}><td class="mono">${h(c.figure)}</td><td class="num">${h(c.a)}</td><td class="num">${h(c.b)}</td><td class="num">${h(c.delta)}</td><td class="num">${h(c.deltaPercent)}</td></tr>`;
  });
  const body = `
<h1>certfleet compare: ${h(a.summary.scenario)}${a.summary.scenario === b.summary.scenario ? '' : ` and ${h(b.summary.scenario)}`}</h1>
<dl class="manifest">${runLine('A', a)}${runLine('B', b)}</dl>

<h2>Fleet availability</h2>
<p class="muted">Share of devices connected at each sample, both runs. Vertical lines: certificate expiries (solid) and scenario events (dashed) of either run.</p>
<div class="chart"><canvas id="chart-availability"></canvas></div>

<h2>Figures</h2>
<p class="muted">Every number in the two summary.json files (the per-sample and per-device lists left out). ${changed} of ${rows.length} differ, highlighted; "only in A/B": the other run has no such figure.</p>
<table id="figures"><thead><tr><th>figure</th><th class="num">A</th><th class="num">B</th><th class="num">delta</th><th class="num">delta %</th></tr></thead><tbody>
${tableRows.join('\n')}
</tbody></table>
`;
  return htmlPage({ title: `certfleet compare: ${a.dir} vs ${b.dir}`, body, data: model, scripts: ['timeline-charts.js', 'compare-page.js'] });
}

function runLine(name: string, run: RunData): string {
  const h = escapeHtml;
  const { summary, manifest } = run;
  const what = `${run.dir}: ${manifest.scenario.file}, seed ${manifest.seed}, ${formatCount(summary.devices)} devices, ${
    summary.complete ? 'complete' : `partial (stopped at ${formatInstant(summary.timeline.reached)})`
  }, certfleet ${manifest.tool.version} ${manifest.tool.commit.slice(0, 12)}`;
  return `<dt>${name}</dt><dd>${h(what)}<br><span class="headline-${name.toLowerCase()}">${h(headline(summary))}</span></dd>`;
}
