import { formatMetricValue } from '../thresholds/metrics.js';
import { headline } from './headline.js';
import { escapeHtml, htmlPage } from './html-page.js';
import type { RunData } from './report-data.js';
import { formatCount, formatInstant, formatShare } from './report-format.js';
import { buildReportModel, shellWord } from './report-model.js';

/** report.html of one run: the headline, the manifest, the charts over simulated time and the tables. */
export function renderReport(run: RunData): string {
  const { summary } = run;
  const model = buildReportModel(run);
  const h = escapeHtml;
  const body = `
<h1>certfleet report: ${h(summary.scenario)} <span class="status ${summary.complete ? 'ok' : 'bad'}">${summary.complete ? 'complete run' : 'partial run'}</span>
${summary.thresholds.length === 0 ? '<span class="status">no thresholds: nothing was gated</span>' : `<span class="status ${summary.thresholdsPassed ? 'ok' : 'bad'}">thresholds ${summary.thresholdsPassed ? 'passed' : 'failed'}</span>`}</h1>
<p class="headline" id="headline">${h(headline(summary))}</p>
${runDetails(run)}
<div class="figures">
  <div>rotations <b>${formatCount(summary.rotations.succeeded)}</b> of ${formatCount(summary.rotations.attempted)}</div>
  <div>rotation latency p50 <b>${summary.rotations.latencyMs.p50} ms</b>, p95 <b>${summary.rotations.latencyMs.p95} ms</b>, p99 <b>${summary.rotations.latencyMs.p99} ms</b></div>
  <div>locked out <b>${formatCount(summary.lockedOut)}</b></div>
  <div>unable to connect at the end <b>${formatCount(summary.unrecovered.devices)}</b></div>
</div>

<h2>Fleet availability</h2>
<p class="muted">Share of devices connected at each sample, for the fleet (thick) and per cohort. Vertical lines: certificate expiries (solid) and scenario events (dashed).</p>
<div class="chart"><canvas id="chart-availability"></canvas></div>

<h2>Connect failures by cause</h2>
${model.failures.length === 0 ? '<p>No connect failed.</p>' : `<p class="muted">Failed connects per sample interval, stacked by judge and cause.</p>
<div class="chart"><canvas id="chart-failures"></canvas></div>
${failureTable(run)}`}

<h2>Rotations and renewal backlog</h2>
<p class="muted">Rotations that succeeded and failed per sample interval (left axis); devices past their renewal point and not yet renewed (right axis).</p>
<div class="chart"><canvas id="chart-rotations"></canvas></div>

<h2>Rotation latency</h2>
${model.latency.bins.length === 0 ? '<p>No rotation completed.</p>' : `<p class="muted">${formatCount(model.latency.count)} rotations (wall time, key to reconnect): p50 ${model.latency.p50} ms, p95 ${model.latency.p95} ms, p99 ${model.latency.p99} ms, max ${model.latency.max} ms. Bins are log-spaced.</p>
<div class="chart"><canvas id="chart-latency"></canvas></div>`}

<h2>Audit findings</h2>
${model.audits.length === 0 ? '<p>No audit check found anything.</p>' : `<p class="muted">Resources each Device Defender-style check flagged at every sample.</p>
<div class="chart"><canvas id="chart-audits"></canvas></div>`}
${auditTable(run)}

<h2>Thresholds</h2>
${thresholdTable(run)}

<h2>Devices that never recovered</h2>
${unrecoveredSection(run)}
`;
  return htmlPage({ title: `certfleet report: ${summary.scenario}`, body, data: model, scripts: ['timeline-charts.js', 'report-page.js'] });
}

/** "embedded (aedes 1.2.0), clock: claimed per connect ..." */
function describeBroker(broker: NonNullable<RunData['manifest']['broker']>): string {
  return `${broker.target} (${broker.version}), clock: ${broker.clock}`;
}

function runDetails({ dir, summary, manifest }: RunData): string {
  const h = escapeHtml;
  const rows: [string, string][] = [
    ['run folder', dir],
    ['outcome', summary.complete ? 'complete: the whole timeline ran' : `partial: stopped early (${summary.interruption ?? 'unknown'}) at ${formatInstant(summary.timeline.reached)}`],
    ['scenario', `${manifest.scenario.name} (${manifest.scenario.file}, sha256 ${manifest.scenario.sha256.slice(0, 12)}…)`],
    ['seed', String(manifest.seed)],
    // Runs of certfleet versions that had only the embedded broker do not name it.
    ['broker', manifest.broker ? describeBroker(manifest.broker) : 'embedded'],
    ['devices', `${formatCount(manifest.devices)} in ${Object.keys(summary.cohorts).length} cohorts (${Object.entries(summary.cohorts).map(([name, c]) => `${name} ${c.devices}`).join(', ')})`],
    ['simulated time', `${formatInstant(summary.timeline.start)} to ${formatInstant(summary.timeline.end)}, reached ${formatInstant(summary.timeline.reached)}`],
    ['wall time', `${summary.wall.seconds} s, ${manifest.workers} device worker${manifest.workers === 1 ? '' : 's'}, started ${manifest.startedAt}`],
    ['certfleet', `${manifest.tool.version}, commit ${manifest.tool.commit}`],
    ['Node / OpenSSL', `${manifest.node} / ${manifest.openssl}`],
    ['machine', `${manifest.machine.cpu}, ${manifest.machine.cores} cores, ${manifest.machine.memoryGiB} GiB, ${manifest.machine.platform}`],
  ];
  return `<dl class="manifest">${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl>`;
}

function failureTable({ summary }: RunData): string {
  const rows = Object.entries(summary.failures.byCause).map(
    ([key, t]) =>
      `<tr><td class="mono">${escapeHtml(key)}${t.inferredFrom ? ` <span class="muted">inferred from ${escapeHtml(t.inferredFrom.join(', '))}</span>` : ''}</td><td class="num">${formatCount(t.count)}</td><td class="num">${formatCount(t.devices)}</td><td>${formatInstant(t.first)}</td><td>${formatInstant(t.last)}</td></tr>`,
  );
  return `<table><thead><tr><th>judge:cause</th><th class="num">failed connects</th><th class="num">devices</th><th>first</th><th>last</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function auditTable({ summary }: RunData): string {
  const rows = Object.entries(summary.audits.checks).map(
    ([check, c]) =>
      `<tr><td class="mono">${escapeHtml(check)}</td><td>${escapeHtml(c.severity)}</td><td class="num">${formatCount(c.max)}</td><td>${c.firstFound ? formatInstant(c.firstFound) : '—'}</td></tr>`,
  );
  return `<table><thead><tr><th>check</th><th>severity</th><th class="num">most at one sample</th><th>first found</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function thresholdTable({ summary }: RunData): string {
  if (summary.thresholds.length === 0) return '<p>The run had no thresholds.</p>';
  const rows = summary.thresholds.map((r) => {
    const verdict = r.passed ? '<span class="pass">PASS</span>' : '<span class="fail">FAIL</span>';
    const actual = r.actual === null ? 'no data' : formatMetricValue(r.unit, r.actual);
    return `<tr><td>${verdict}${r.partial ? ' <span class="muted">(partial run)</span>' : ''}</td><td>${escapeHtml(r.name)}</td><td class="mono">${escapeHtml(r.check)}</td><td>${escapeHtml(r.cohort ?? 'all')}</td><td class="num">${escapeHtml(formatMetricValue(r.unit, r.expected))}</td><td class="num">${escapeHtml(actual)}</td></tr>`;
  });
  return `<table id="thresholds"><thead><tr><th>verdict</th><th>name</th><th>check</th><th>cohort</th><th class="num">expected</th><th class="num">actual</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function unrecoveredSection({ dir, summary, manifest }: RunData): string {
  const { unrecovered } = summary;
  if (unrecovered.devices === 0) return `<p>Every device could connect ${summary.complete ? 'at the end of the run' : 'when the run stopped'}.</p>`;
  const h = escapeHtml;
  const byCause = Object.entries(unrecovered.byCause)
    .map(([key, n]) => `<code>${h(key)}</code> ${formatCount(n)}`)
    .join(', ');
  return `<p>${formatCount(unrecovered.devices)} devices (${formatShare(summary.devices === 0 ? 0 : unrecovered.devices / summary.devices)}) could not connect at the ${summary.complete ? 'end' : 'point the run stopped'}, by their last failure: ${byCause}.</p>
<p class="muted">Each command replays that device alone from the run's scenario <code>${h(manifest.scenario.file)}</code> and seed <code>${manifest.seed}</code> (read from <code>${h(shellWord(dir))}/manifest.json</code>), prints its timeline and exports its failing connects for <code>openssl verify</code>.</p>
<div class="toolbar"><input id="unrecovered-filter" type="search" placeholder="filter by device, cohort or cause" aria-label="filter devices"><span id="unrecovered-count" class="muted"></span></div>
<table id="unrecovered-table"><thead><tr><th>device</th><th>cohort</th><th>last cause</th><th>unable to connect since</th><th>reproduce</th></tr></thead><tbody></tbody></table>
<div class="toolbar"><button id="unrecovered-more" type="button">show more</button></div>`;
}
