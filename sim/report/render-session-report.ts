import type { FleetEvent } from '../events/fleet-event.js';
import { SessionTally, type DecisionCount, type SessionTotals } from '../results/session-tally.js';
import { causeText } from './headline.js';
import { escapeHtml, htmlPage } from './html-page.js';
import { formatCount, formatInstant, plural } from './report-format.js';
import type { SessionData } from './session-data.js';
import { buildSessionModel } from './session-model.js';

/** The latest refusals listed one by one; the tables above count them all. */
const LISTED_REFUSALS = 500;

/**
 * report.html of a `certfleet broker` session: what the broker decided over its simulated time, drawn from its
 * decision log with the charts and tables of a run's report (connect decisions by cause, certificates, deliveries).
 */
export function renderSessionReport(data: SessionData): string {
  const model = buildSessionModel(data);
  const tally = new SessionTally();
  for (const event of data.events) tally.add(event);
  const totals = tally.totals();
  const h = escapeHtml;
  const scenario = data.about?.scenario ?? 'broker session';
  const complete = data.about?.complete === true;
  const body = `
<h1>certfleet broker session: ${h(scenario)} <span class="status ${complete ? 'ok' : 'bad'}">${complete ? 'session ended' : 'log not closed (running, or stopped without closing)'}</span></h1>
<p class="headline" id="headline">${h(sessionHeadline(totals, model.timeline.start, data.events.at(-1)?.t))}</p>
${sessionDetails(data, model.intervalMs)}
<div class="figures">
  <div>connects admitted <b id="figure-admitted">${formatCount(totals.connects.admitted)}</b></div>
  <div>refused <b id="figure-refused">${formatCount(totals.connects.refused)}</b></div>
  <div>TLS handshakes failed <b>${formatCount(count(totals.tlsFailures))}</b></div>
  <div>certificates issued <b>${formatCount(totals.certificates.issued)}</b>, CSRs refused <b>${formatCount(totals.certificates.refused)}</b></div>
  <div>deliveries sent <b>${formatCount(totals.deliveries['sent'] ?? 0)}</b>, acknowledged <b>${formatCount(totals.deliveries['acknowledged'] ?? 0)}</b></div>
</div>

<h2>Connect decisions by cause</h2>
${model.connects.length === 0 ? '<p>No client sent a CONNECT.</p>' : `<p class="muted">Connects the broker admitted and refused per ${h(interval(model.intervalMs))} of simulated time, refusals stacked by cause. Vertical lines: scenario events.</p>
<div class="chart"><canvas id="chart-connects"></canvas></div>`}
${causeTable('refusals-by-cause', 'broker:cause', 'refused connects', totals.connects.refusedByCause, causeText)}

<h2>TLS handshakes that failed before MQTT</h2>
${model.tlsFailures.length === 0 ? '<p>No handshake failed.</p>' : `<div class="chart"><canvas id="chart-tls"></canvas></div>
${causeTable('tls-failures', 'alert the client sent', 'handshakes', totals.tlsFailures, () => '', 'sources')}`}

<h2>Certificates</h2>
${model.certificates.length === 0 ? '<p>No CSR arrived.</p>' : `<p class="muted">Certificates the CA issued and CSRs it refused per ${h(interval(model.intervalMs))}${totals.registrations.accepted + totals.registrations.refused > 0 ? ', with RegisterThing' : ''}${Object.keys(totals.jobs).length > 0 ? ' and jobs' : ''}.</p>
<div class="chart"><canvas id="chart-certificates"></canvas></div>`}
${Object.keys(totals.certificates.refusedByReason).length === 0 ? '' : causeTable('csr-refusals', 'reason', 'CSRs refused', totals.certificates.refusedByReason, () => '')}

<h2>Deliveries</h2>
${model.deliveries.length === 0 ? '<p>Nothing was delivered.</p>' : `<p class="muted">Cloud-to-device messages (trust bundles, certificates, jobs) per ${h(interval(model.intervalMs))}, by what became of them.</p>
<div class="chart"><canvas id="chart-deliveries"></canvas></div>`}

<h2>Refusals, latest first</h2>
${refusalList(data.events)}
`;
  return htmlPage({ title: `certfleet broker session: ${scenario}`, body, data: model, scripts: ['timeline-charts.js', 'session-page.js'] });
}

function sessionHeadline(totals: SessionTotals, start: number, last: number | undefined): string {
  const decided = totals.connects.admitted + totals.connects.refused;
  if (decided === 0 && last === undefined) return `The broker decided nothing from ${formatInstant(start)} on.`;
  // The most frequent causes first (the tally's order); one cause alone is said in words too.
  const causes = Object.entries(totals.connects.refusedByCause);
  const only = causes.length === 1 && causes[0] ? ` (${causeText(causes[0][0])})` : '';
  const listed = causes.slice(0, 3).map(([key, c]) => `${key} ${formatCount(c.count)}`);
  if (causes.length > 3) listed.push(`${causes.length - 3} more causes`);
  const refusals = causes.length === 0 ? 'none refused' : `${formatCount(totals.connects.refused)} refused: ${listed.join(', ')}${only}`;
  return `${plural(decided, 'connect')} decided from ${formatInstant(start)} to ${formatInstant(last ?? start)}: ${formatCount(totals.connects.admitted)} admitted, ${refusals}; ${plural(totals.certificates.issued, 'certificate')} issued, ${plural(totals.certificates.refused, 'CSR')} refused.`;
}

function sessionDetails({ dir, about, lines }: SessionData, intervalMs: number): string {
  const h = escapeHtml;
  const rows: [string, string][] = [
    ['session folder', dir],
    ['scenario', about ? `${about.scenario}${about.scenarioFile === undefined ? '' : ` (${about.scenarioFile})`}` : 'unknown (no session.json)'],
    ...(about?.seed === undefined ? [] : [['seed', String(about.seed)] as [string, string]]),
    ...(about?.broker === undefined ? [] : [['broker', `${about.broker.host}:${about.broker.port}`] as [string, string]]),
    ['simulated time', about?.simulated.start === undefined ? 'unknown' : `from ${formatInstant(about.simulated.start)}${about.simulated.reached === undefined ? '' : `, reached ${formatInstant(about.simulated.reached)}`}`],
    ['wall time', about === undefined ? 'unknown' : `started ${about.startedAt}${about.endedAt === undefined ? '' : `, ended ${about.endedAt}`}`],
    ['decisions', `${formatCount(lines)} lines in decisions.ndjson, counted per ${interval(intervalMs)}`],
  ];
  return `<dl class="manifest">${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl>`;
}

function causeTable(id: string, keyHeading: string, countHeading: string, counts: Record<string, DecisionCount>, text: (key: string) => string, who = 'clients'): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return '';
  const rows = entries.map(
    ([key, c]) =>
      `<tr><td class="mono">${escapeHtml(key)}${text(key) === '' ? '' : ` <span class="muted">${escapeHtml(text(key))}</span>`}</td><td class="num">${formatCount(c.count)}</td><td class="num">${formatCount(c.clients)}</td><td>${formatInstant(c.first)}</td><td>${formatInstant(c.last)}</td></tr>`,
  );
  return `<table id="${id}"><thead><tr><th>${escapeHtml(keyHeading)}</th><th class="num">${escapeHtml(countHeading)}</th><th class="num">${who}</th><th>first</th><th>last</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function refusalList(events: readonly FleetEvent[]): string {
  const refusals: Extract<FleetEvent, { type: 'broker.admission' }>[] = [];
  for (let i = events.length - 1; i >= 0 && refusals.length < LISTED_REFUSALS; i -= 1) {
    const event = events[i];
    if (event?.type === 'broker.admission' && event.cause !== 'ok') refusals.push(event);
  }
  if (refusals.length === 0) return '<p>The broker refused no connect.</p>';
  const h = escapeHtml;
  const rows = refusals.map((e) => {
    // As the decision's line on stderr says it (sim/results/decision-line.ts).
    const detail = [
      e.failed === undefined || e.failed === e.device ? undefined : `failed at ${e.failed}`,
      e.notAfter === undefined ? undefined : `device certificate notAfter ${formatInstant(e.notAfter)}`,
      e.claimed === undefined ? undefined : `claimed time ${e.claimed}`,
    ]
      .filter((d) => d !== undefined)
      .join('; ');
    return `<tr><td>${formatInstant(e.t)}</td><td class="mono">${h(e.device)}</td><td class="mono">${h(e.cause)}</td><td>${h(detail)}</td></tr>`;
  });
  return `<table id="refusals"><thead><tr><th>time</th><th>client id</th><th>cause</th><th>detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function count(counts: Record<string, DecisionCount>): number {
  return Object.values(counts).reduce((n, c) => n + c.count, 0);
}

/** "minute", "15 minutes", "day" */
function interval(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) if (ms % size === 0) return ms === size ? name : `${ms / size} ${name}s`;
  return `${ms} ms`;
}
