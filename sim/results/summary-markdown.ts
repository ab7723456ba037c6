import { CAUSES, isCause } from '../causes.js';
import { defaultThresholdName } from '../thresholds/define-threshold.js';
import { formatActual, type JudgedRunSummary } from '../thresholds/evaluate-thresholds.js';
import { renderFaultsMarkdown } from './faults-markdown.js';
import type { RunSummary } from './run-summary.js';

/** How a run gets a gate without writing expressions. */
export const GATE_HINT = '`--fail-on unrecovered`, `lockedOut` or `any-failure`, `--threshold`, or the scenario\'s `thresholds` gate a run.';

/** The summary as a report a person reads in a minute: what happened, to whom, when, and why. */
export function renderSummaryMarkdown(summary: JudgedRunSummary): string {
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  push(`# ${summary.scenario}: run summary`, '');
  if (!summary.complete) {
    push(`**Partial run**: stopped at ${summary.timeline.reached}${summary.interruption ? ` (${summary.interruption})` : ''}.`, '');
  }
  push(headline(summary), '');
  push(
    `Seed ${summary.seed}, ${summary.devices} devices, simulated ${summary.timeline.start} to ${summary.timeline.reached}, ` +
      `${summary.wall.seconds} s of wall time in ${summary.wall.epochs} epochs.`,
    '',
  );
  push(`Broker: ${summary.broker.target} (${summary.broker.version}); its clock: ${summary.broker.clock}.`, '');

  if (summary.thresholds.length > 0) {
    push('## Thresholds', '');
    if (!summary.complete) push(`Evaluated on the partial run, up to ${summary.timeline.reached}.`, '');
    push('| result | threshold | cohort | actual |', '|---|---|---|---:|');
    for (const t of summary.thresholds) {
      const named = t.name === defaultThresholdName(t.check, t.cohort) ? `\`${t.check}\`` : `${t.name.replace(/\|/g, '\\|')}: \`${t.check}\``;
      push(`| ${t.passed ? 'PASS' : 'FAIL'} | ${named} | ${t.cohort ?? 'all'} | ${formatActual(t).replace(/^actual /, '')} |`);
    }
    push('');
  } else {
    push('## Thresholds', '', `No thresholds: nothing was gated. ${GATE_HINT}`, '');
  }

  // Runs written before faults existed have none.
  push(...renderFaultsMarkdown(summary.faults ?? []));

  push('## Rotations', '');
  const r = summary.rotations;
  push(
    '| attempted | succeeded | failed | per wall second | latency p50 | p95 | p99 | max |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${r.attempted} | ${r.succeeded} | ${r.failed} | ${r.throughputPerWallSecond} | ${r.latencyMs.p50} ms | ${r.latencyMs.p95} ms | ${r.latencyMs.p99} ms | ${r.latencyMs.max} ms |`,
    '',
  );
  const rotationFailures = Object.entries(r.failuresByCause);
  if (rotationFailures.length > 0) {
    push('| rotation failure | attempts | devices | first | last | meaning |', '|---|---:|---:|---|---|---|');
    for (const [cause, t] of rotationFailures) push(`| ${cause} | ${t.count} | ${t.devices} | ${t.first} | ${t.last} | ${meaning(`:${cause}`)} |`);
    push('');
  }

  push('## Connections', '');
  const c = summary.connects;
  push(
    `${c.attempted} attempts, ${c.succeeded} succeeded (${c.perWallSecond} per wall second; handshake to CONNACK p50 ` +
      `${c.latencyMs.p50} ms, p99 ${c.latencyMs.p99} ms); the broker refused ${c.refusedByBroker}.`,
    '',
  );

  push('## Failures by cause', '');
  const causes = Object.entries(summary.failures.byCause);
  if (causes.length === 0) {
    push('No connection failed.', '');
  } else {
    push('| judge:cause | attempts | devices | first | last | meaning |', '|---|---:|---:|---|---|---|');
    for (const [key, t] of causes) push(`| ${key} | ${t.count} | ${t.devices} | ${t.first} | ${t.last} | ${meaning(key)}${inferred(t.inferredFrom)} |`);
    push('');
  }

  push('## Cohorts', '');
  push(
    '| cohort | devices | connected at end | lowest connected | rotations ok / tried | locked out | failures (judge:cause devices, first) |',
    '|---|---:|---:|---:|---:|---:|---|',
  );
  for (const [name, cohort] of Object.entries(summary.cohorts)) {
    const samples = summary.availability.samples.map((s) => s.cohorts[name] ?? 0);
    const failures = Object.entries(summary.failures.byCohort[name] ?? {})
      .map(([key, t]) => `${key} ${t.devices}, ${t.first.slice(0, 16)}Z`)
      .join('; ');
    push(
      `| ${name} | ${cohort.devices} | ${percent(samples.at(-1) ?? 0)} | ${percent(samples.length ? Math.min(...samples) : 0)} | ` +
        `${cohort.rotations.succeeded} / ${cohort.rotations.attempted} | ${cohort.lockedOut} | ${failures || 'none'} |`,
    );
  }
  push('');

  push('## Availability over simulated time', '');
  push(availabilityTable(summary), '');

  push('## Audits', '');
  const audits = Object.entries(summary.audits.checks).filter(([, c]) => c.max > 0);
  if (audits.length === 0) {
    push('No audit check found anything at any sample.', '');
  } else {
    push('| check | severity | first found | most at once | at the end |', '|---|---|---|---:|---:|');
    for (const [check, c] of audits) push(`| ${check} | ${c.severity} | ${c.firstFound ?? ''} | ${c.max} | ${c.final.length} |`);
    push('', 'Every finding with the devices it names, per sample: `audits.ndjson`.', '');
  }

  push('## Broker', '');
  const b = summary.broker;
  push(
    `Admitted ${b.admitted}, refused ${Object.values(b.refused).reduce((a, n) => a + n, 0)}` +
      `${Object.keys(b.refused).length ? ` (${Object.entries(b.refused).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}; ` +
      `issued ${b.issued} certificates, rejected ${b.issuanceRejected} CSRs` +
      `${Object.keys(b.issuanceRejectedByReason ?? {}).length ? ` (${Object.entries(b.issuanceRejectedByReason ?? {}).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}; ` +
      `trust deliveries pushed ${summary.deliveries.pushed}, ` +
      `queued for the next connect ${summary.deliveries.queued}.`,
    '',
  );
  const cuts = Object.entries(b.connectionsCut ?? {}).filter(([, n]) => n > 0);
  if (cuts.length > 0) {
    // Only when something was cut: a misbehaving client, or a broker out of file descriptors.
    const named = cuts.map(([reason, n]) => `${reason} ${n}${reason === 'fd_exhausted' ? ' (file descriptors exhausted)' : ''}`);
    push(`Connections cut off by the broker's connection limits: ${named.join(', ')}.`, '');
  }
  const byKind = (counts: Partial<Record<string, number>>) => {
    const entries = Object.entries(counts);
    return `${entries.reduce((n, [, c]) => n + (c ?? 0), 0)}${entries.length ? ` (${entries.map(([k, c]) => `${k} ${c}`).join(', ')})` : ''}`;
  };
  if (Object.keys(b.malformedRequests).length + Object.keys(b.timeClaimsRefused).length + b.requestFailures > 0) {
    push(
      `Device requests refused unserved: malformed ${byKind(b.malformedRequests)}, time claimed outside the epoch ` +
        `${byKind(b.timeClaimsRefused)}; failed while served ${b.requestFailures} (\`broker.request-refused\` in events.ndjson).`,
      '',
    );
  }
  push('## Harness', '');
  const h = summary.harness;
  push(
    h.speed === 'max'
      ? 'Pace: as fast as possible.'
      : `Pace asked: ${h.speed} simulated ms per wall second; ${h.lateEpochs} epochs ended late, by at most ${h.maxLagMs} ms.`,
    '',
  );
  if (h.devicesRestarted) {
    push(`${h.devicesRestarted} devices restarted as rebooted devices (factory credentials) after their process died:`, '');
    for (const r of h.restarts ?? []) push(`- ${r.t}: ${r.reason}`);
    push('');
  }
  return `${lines.join('\n')}\n`;
}

/** One sentence generated from the data. */
function headline(summary: RunSummary): string {
  const lowest = summary.availability.lowest;
  const unrecovered = summary.unrecovered.devices;
  const top = Object.entries(summary.failures.byCause)[0];
  if (!lowest || !top) return 'Every device stayed connected throughout.';
  const share = (n: number) => percent(n / Math.max(summary.devices, 1));
  return (
    `Fleet connectivity fell to ${percent(lowest.connected)} at ${lowest.t}; the most common failure was ${top[0]} ` +
    `(${top[1].devices} devices, first at ${top[1].first}); ${unrecovered} devices (${share(unrecovered)}) never recovered.`
  );
}

function availabilityTable(summary: RunSummary): string {
  const samples = summary.availability.samples;
  if (samples.length === 0) return 'No samples.';
  const cohorts = Object.keys(summary.cohorts);
  // At most about 24 rows: every k-th sample plus the lowest.
  const every = Math.max(1, Math.ceil(samples.length / 24));
  const rows = samples.filter((s, i) => i % every === 0 || i === samples.length - 1 || s.t === summary.availability.lowest?.t);
  const header = `| time | connected | failing | offline | ${cohorts.join(' | ')} |`;
  const rule = `|---|---:|---:|---:|${cohorts.map(() => '---:').join('|')}|`;
  const body = rows.map(
    (s) =>
      `| ${s.t.slice(0, 10)} | ${percent(s.connected)} | ${percent(s.failing)} | ${percent(s.offline)} | ${cohorts.map((n) => percent(s.cohorts[n] ?? 0)).join(' | ')} |`,
  );
  return [header, rule, ...body].join('\n');
}

function meaning(judgeCause: string): string {
  const cause = judgeCause.split(':')[1] ?? '';
  return isCause(cause) ? CAUSES[cause] : '';
}

/** A real broker's refusals are the devices' reading of its alerts and CONNACK codes: say so next to the cause. */
function inferred(sources: readonly string[] | undefined): string {
  return sources ? ` (inferred by the devices from ${sources.map((s) => `\`${s}\``).join(', ')})` : '';
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
