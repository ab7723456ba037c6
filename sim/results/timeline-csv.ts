import type { RunSummary } from './run-summary.js';
import { csvDocument } from './csv.js';

/** The interval's connects with their parts, named by who judged (they add up: attempted = the other four). */
const CONNECT_COLUMNS = [
  { header: 'connectAttempts', field: 'attempted' },
  { header: 'connectsSucceeded', field: 'succeeded' },
  { header: 'connectsRefusedByBroker', field: 'refusedByBroker' },
  { header: 'connectsRejectedByDevice', field: 'rejectedByDevice' },
  { header: 'connectTransportFailures', field: 'transportFailures' },
] as const;

/** The parts of a summary the timeline is made from (tests build just these). */
export type TimelineSource = Pick<RunSummary, 'cohorts' | 'availability' | 'activity' | 'audits'>;

/**
 * timeline.csv: one row per availability sample, for spreadsheets and plotting tools. Every value is summary.json's:
 * the fleet's shares and renewal backlog at the sample, the rotations and failures of the interval that ends there
 * (summary.activity), each cohort's connected share and each audit check's finding count.
 *
 * Columns: time, connected, failing, offline, renewalBacklog, rotationsSucceeded, rotationsFailed, connectAttempts,
 * connectsSucceeded, connectsRefusedByBroker, connectsRejectedByDevice, connectTransportFailures; one per
 * "judge:cause" seen in the run ("device:expired_root"); "connected:<cohort>" per cohort; "audit:<CHECK>" per check.
 */
export function renderTimelineCsv(summary: TimelineSource): string {
  const samples = summary.availability.samples;
  const cohorts = Object.keys(summary.cohorts);
  const activityAt = new Map(summary.activity.map((a) => [a.t, a]));
  const causes = [...new Set(summary.activity.flatMap((a) => Object.keys(a.failures)))].sort();
  const checks = Object.entries(summary.audits.checks).map(([check, audit]) => ({
    check,
    countAt: new Map((audit?.series ?? []).map((s) => [s.t, s.count])),
  }));
  const header = [
    'time',
    'connected',
    'failing',
    'offline',
    'renewalBacklog',
    'rotationsSucceeded',
    'rotationsFailed',
    ...CONNECT_COLUMNS.map((c) => c.header),
    ...causes,
    ...cohorts.map((c) => `connected:${c}`),
    ...checks.map((c) => `audit:${c.check}`),
  ];
  const rows = samples.map((s) => {
    const activity = activityAt.get(s.t);
    return [
      s.t,
      s.connected,
      s.failing,
      s.offline,
      s.renewalBacklog,
      activity?.rotationsSucceeded ?? 0,
      activity?.rotationsFailed ?? 0,
      ...CONNECT_COLUMNS.map((c) => (activity?.connects ? activity.connects[c.field] : 0)),
      ...causes.map((cause) => activity?.failures[cause] ?? 0),
      ...cohorts.map((c) => s.cohorts[c] ?? 0),
      ...checks.map((c) => c.countAt.get(s.t) ?? 0),
    ];
  });
  return csvDocument([header, ...rows]);
}
