import { z } from 'zod';

/**
 * The parts of a run folder's summary.json and manifest.json that reports read, checked field by field so a report
 * on a damaged or foreign folder names the file and the field instead of drawing an empty chart. Objects are loose:
 * fields a report does not read are kept, never refused.
 */

const count = z.number().int().nonnegative();
/** summary.json writes every true time as an ISO string (Date.toISOString). */
const isoTime = z.string().refine((text) => !Number.isNaN(Date.parse(text)), { message: 'expected an ISO time such as "2030-01-01T00:00:00.000Z"' });
const share = z.number().min(0).max(1);

const causeTally = z.looseObject({ count, devices: count, first: isoTime, last: isoTime });

const availabilitySample = z.looseObject({
  t: isoTime,
  connected: share,
  failing: share,
  offline: share,
  renewalBacklog: count,
  cohorts: z.record(z.string(), share),
});

const activitySample = z.looseObject({
  t: isoTime,
  rotationsSucceeded: count,
  rotationsFailed: count,
  failures: z.record(z.string(), count),
});

const marker = z.looseObject({
  t: isoTime,
  kind: z.enum(['expiry', 'event']),
  certificate: z.looseObject({ name: z.string(), role: z.enum(['root', 'intermediate', 'cross-sign', 'server']) }).optional(),
  label: z.string(),
});

const auditCheck = z.looseObject({
  severity: z.string(),
  max: count,
  firstFound: isoTime.nullable(),
  series: z.array(z.looseObject({ t: isoTime, count })),
});

const thresholdResult = z.looseObject({
  name: z.string(),
  check: z.string(),
  cohort: z.string().optional(),
  metric: z.string(),
  unit: z.enum(['share', 'ms', 'count']),
  op: z.string(),
  expected: z.number(),
  actual: z.number().nullable(),
  passed: z.boolean(),
  partial: z.literal(true).optional(),
});

export const summarySchema = z.looseObject({
  complete: z.boolean(),
  interruption: z.string().optional(),
  scenario: z.string(),
  seed: z.number(),
  devices: count,
  timeline: z.looseObject({ start: isoTime, end: isoTime, reached: isoTime }),
  wall: z.looseObject({ seconds: z.number() }),
  rotations: z.looseObject({
    attempted: count,
    succeeded: count,
    failed: count,
    latencyMs: z.looseObject({
      count,
      p50: z.number(),
      p95: z.number(),
      p99: z.number(),
      max: z.number(),
      /** Cumulative: how many rotations took at most `ms`. */
      distribution: z.array(z.looseObject({ ms: z.number().nonnegative(), cumulative: count })),
    }),
  }),
  failures: z.looseObject({ byCause: z.record(z.string(), causeTally) }),
  cohorts: z.record(z.string(), z.looseObject({ devices: count })),
  lockedOut: count,
  unrecovered: z.looseObject({
    devices: count,
    byCause: z.record(z.string(), count),
    list: z.array(z.looseObject({ device: z.string(), cohort: z.string(), cause: z.string(), since: isoTime })),
  }),
  availability: z.looseObject({ samples: z.array(availabilitySample) }),
  activity: z.array(activitySample),
  markers: z.array(marker),
  audits: z.looseObject({ checks: z.record(z.string(), auditCheck) }),
  thresholds: z.array(thresholdResult),
  thresholdsPassed: z.boolean(),
});

export const manifestSchema = z.looseObject({
  tool: z.looseObject({ name: z.string(), version: z.string(), commit: z.string() }),
  node: z.string(),
  openssl: z.string(),
  machine: z.looseObject({ cpu: z.string(), cores: count, memoryGiB: z.number(), platform: z.string() }),
  scenario: z.looseObject({ name: z.string(), file: z.string(), sha256: z.string() }),
  seed: z.number(),
  devices: count,
  workers: count,
  startedAt: isoTime,
});

/** summary.json as reports read it. */
export type ReportSummary = z.infer<typeof summarySchema>;
export type ReportManifest = z.infer<typeof manifestSchema>;
