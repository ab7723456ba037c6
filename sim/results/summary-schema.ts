import { z } from 'zod';
import { AUDIT_CHECKS, type AuditCheck } from '../audit/audit-checks.js';
import { ALL_CAUSES, type Cause, type Judge } from '../causes.js';
import { BROKER_TARGETS } from '../scenario/broker-target-schema.js';
import { FAULT_KINDS } from '../scenario/fault-schema.js';
import { CONNECTION_CUT_REASONS, type ConnectionCutReason } from '../stats/broker-stats.js';
import { DEVICE_REQUEST_KINDS, type DeviceRequestKind } from '../device-api/messages.js';
import { OPERATORS } from '../thresholds/threshold-expression.js';
import type { JudgedRunSummary } from '../thresholds/evaluate-thresholds.js';

/**
 * summary.json as a schema: what buildSummary and judgeSummary write, checked at compile time against their
 * inferred types (the assertions at the end), and published as JSON Schema (docs/summary.schema.json) for the
 * tools that read run folders. Fixed keys are strict objects; keys that name cohorts, causes or checks are records.
 */

const JUDGES = ['device', 'broker', 'ca'] as const satisfies readonly Judge[];
const AUDIT_CHECK_NAMES = Object.keys(AUDIT_CHECKS) as [AuditCheck, ...AuditCheck[]];

const count = z.int().nonnegative();
const time = z.iso.datetime().meta({ id: 'time', description: 'a true (simulated) time, UTC, as toISOString writes it' });
/** A share of devices, rounded to four digits. */
const share = z.number().min(0).max(1);
/** Wall milliseconds. */
const ms = z.number().nonnegative();

const cause = z.enum(ALL_CAUSES as [Cause, ...Cause[]]).meta({ id: 'cause', description: 'a cause of the closed enum in sim/causes.ts' });
const requestKind = z
  .enum(DEVICE_REQUEST_KINDS as [DeviceRequestKind, ...DeviceRequestKind[]])
  .meta({ id: 'requestKind', description: 'a kind of request a device sends the backend (sim/device-api/messages.ts)' });
/** "broker:expired_leaf": who judged, and what it found. */
const judgeCause = z
  .string()
  .regex(new RegExp(`^(${JUDGES.join('|')}):(${ALL_CAUSES.join('|')})$`))
  .meta({ id: 'judgeCause', description: '"judge:cause", such as "device:expired_root" or "broker:expired_leaf"' });

const causeTally = z
  .strictObject({
    count: count.describe('failed attempts with this cause'),
    devices: count.describe('distinct devices that saw it'),
    first: time,
    last: time,
    inferredFrom: z
      .array(z.string())
      .optional()
      .describe('a real broker\'s refusals read from its TLS alerts or CONNACK codes ("tls-alert:45 certificate_expired", "connack:5"): the cause is inferred, no broker recorded it'),
  })
  .meta({ id: 'causeTally' });

const percentiles = {
  count,
  p50: ms,
  p95: ms,
  p99: ms,
  max: ms,
};

const availabilitySample = z
  .strictObject({
    t: time,
    connected: share,
    failing: share.describe('trying to connect and failing'),
    offline: share.describe('in a planned outage'),
    renewalBacklog: count.describe('devices past their renewal point and not yet renewed (a count, not a share)'),
    cohorts: z.record(z.string(), share).describe('share connected, per cohort'),
  })
  .meta({ id: 'availabilitySample' });

/** sim/results/incident.ts; grouping in sim/results/incidents.ts. */
const incident = z
  .strictObject({
    start: time.describe('the first failure of the stretch'),
    cause: judgeCause.describe('the cause that hit the most devices'),
    devicesAffected: count.describe('distinct devices that failed with that cause in the stretch'),
    attempts: count.describe('failed connects with that cause in the stretch'),
    causes: z
      .array(z.strictObject({ cause: judgeCause, devicesAffected: count, attempts: count }))
      .describe('every cause of the stretch, ranked by devices affected, then attempts'),
    devicesHit: count.describe('distinct devices hit, whatever the cause'),
    cohorts: z.record(z.string(), count).describe('devices hit per cohort'),
    devices: z.array(z.string()).describe('ids of the devices hit, at most 20, the first to fail first'),
    lowest: z.strictObject({ t: time, connected: share }).describe('the lowest fleet availability sample while the incident lasted'),
    recovered: z
      .strictObject({ devices: count, lastAt: time.nullable().describe('when the last device hit connected again; null: some never did') })
      .describe('of the devices hit, how many connected again afterwards'),
    lastFailureAt: time.describe('the last failure of the stretch'),
  })
  .meta({ id: 'incident' });

const cohortSummary = z.strictObject({
  devices: count,
  connects: z.strictObject({ attempted: count, succeeded: count }),
  rotations: z.strictObject({
    attempted: count,
    succeeded: count,
    failed: count,
    failuresByCause: z.partialRecord(cause, count),
  }),
  lockedOut: count,
  trustUpdates: z.record(z.string(), count).describe('trust updates by result: applied, ignored_frozen, duplicate'),
});

const auditCheckSeries = z.strictObject({
  severity: z.enum(['Low', 'Medium', 'High', 'Critical']),
  mirrors: z.string().describe('the AWS IoT Device Defender check it follows'),
  max: count,
  firstFound: time.nullable(),
  final: z.array(z.string()).describe('non-compliant resources at the last sample: device ids or CA labels'),
  series: z.array(z.strictObject({ t: time, count })),
});

const thresholdResult = z.strictObject({
  name: z.string(),
  check: z.string(),
  cohort: z.string().optional(),
  metric: z.string().describe('the metric with its argument: "failures[expired_root]"'),
  unit: z.enum(['share', 'ms', 'count']),
  op: z.enum(OPERATORS),
  expected: z.number(),
  actual: z.number().nullable().describe('null when the run measured nothing the metric applies to; the threshold then fails'),
  passed: z.boolean(),
  partial: z.literal(true).optional().describe('the run stopped early: the verdict is on the part of the timeline it reached'),
});

const faultSummary = z
  .strictObject({
    fault: count.describe('the index of the fault in the scenario\'s faults list'),
    kind: z.enum(FAULT_KINDS),
    label: z.string(),
    from: time,
    to: time,
    messages: z.strictObject({ sent: count.describe('cloud-to-device messages sent in the loss window'), lost: count }),
    requests: z.strictObject({ refused: count.describe('CSRs the CA answered with 503'), delayed: count.describe('CSRs the CA served late') }),
    connects: z.strictObject({ failed: count.describe('connects that found the broker unreachable (a partition)') }),
    sessionsDropped: count,
    devicesAffected: count,
    recovery: z.strictObject({
      seconds: z.number().nonnegative().nullable().describe('simulated seconds from the end (a kill: its instant) until every affected device recovered; null if some had not'),
      recoveredDevices: count,
      unrecoveredDevices: count,
      availabilityBefore: share.nullable().describe('fleet share connected at the last sample before the fault'),
      availabilityBackAt: time.nullable().describe('the first sample after the fault at that share again'),
    }),
  })
  .meta({ id: 'faultSummary' });

export const runSummarySchema = z.strictObject({
  complete: z.boolean(),
  interruption: z.string().optional().describe('why the run stopped early'),
  scenario: z.string(),
  seed: count,
  devices: count,
  timeline: z.strictObject({ start: time, end: time, reached: time }),
  wall: z.strictObject({ seconds: z.number().nonnegative(), epochs: count }),
  rotations: z.strictObject({
    attempted: count,
    succeeded: count,
    failed: count,
    failuresByCause: z.partialRecord(cause, causeTally),
    throughputPerWallSecond: z.number().nonnegative(),
    latencyMs: z.strictObject({
      ...percentiles,
      distribution: z
        .array(z.strictObject({ ms, cumulative: count }))
        .describe('HdrHistogram cumulative distribution: rotations at or below each latency'),
    }),
  }),
  connects: z
    .strictObject({
      attempted: count.describe('every TLS + MQTT connect the devices made (operational, after a rotation, bootstrap): succeeded + refusedByBroker + rejectedByDevice + transportFailures'),
      succeeded: count.describe('admitted: the broker answered CONNACK 0 to a device that had accepted its chain; the latency count'),
      refusedByBroker: count.describe('the broker refused the device (a CONNACK refusal, or a real broker\'s TLS alert); the broker\'s own count by cause is broker.refused'),
      rejectedByDevice: count.optional().describe('the device rejected the broker\'s chain at its own clock (absent in runs written before it was counted)'),
      transportFailures: count.optional().describe('the connection failed before anyone judged a certificate: unreachable, reset, timed out (absent in runs written before it was counted)'),
      perWallSecond: z.number().nonnegative(),
      latencyMs: z.strictObject(percentiles),
    })
    .describe('connects with their parts, named by who judged; failures.byCause has the precise causes'),
  failures: z.strictObject({
    byCause: z.record(judgeCause, causeTally),
    byCohort: z.record(z.string(), z.record(judgeCause, causeTally)),
  }),
  cohorts: z.record(z.string(), cohortSummary),
  lockedOut: count,
  unrecovered: z.strictObject({
    devices: count,
    byCause: z.record(judgeCause, count),
    list: z.array(
      z.strictObject({
        device: z.string(),
        cohort: z.string(),
        cause: judgeCause,
        since: time,
        inferredFrom: z.string().optional().describe('the last failure was read from a real broker\'s TLS alert or CONNACK code'),
      }),
    ),
  }),
  broker: z.strictObject({
    target: z
      .enum(BROKER_TARGETS)
      .optional()
      .describe('the broker target the run ran against (embedded, mosquitto, external); absent from runs of certfleet versions that had only the embedded broker'),
    version: z.string().optional().describe('the broker\'s version, such as "aedes 1.2.0" or "mosquitto 2.0.11"'),
    clock: z.string().optional().describe('how the broker\'s clock was set while it judged certificates'),
    listen: z
      .strictObject({
        address: z.string().describe('the IP address the broker listened on (0.0.0.0 or ::: every address of its host)'),
        port: z.int().min(0).max(65_535).describe('its port'),
        dial: z.string().describe('the address device workers on the broker\'s host dialled'),
        advertise: z.string().describe('the address devices on other hosts (device agents) were told to dial'),
      })
      .optional()
      .describe('where the broker listened (broker.listen, --listen); absent for broker.target external and from runs of versions that listened on 127.0.0.1 only'),
    admitted: count,
    refused: z.partialRecord(cause, count),
    issued: count,
    issuanceRejected: count,
    issuanceRejectedByReason: z
      .record(z.string(), count)
      .optional()
      .describe('CSRs the CA refused, by the reason in their broker.issuance event (weak_key, ambiguous_identity, subject_mismatch, ...)'),
    registrationsRejected: count,
    jobsCreated: count,
    jobsSucceeded: count,
    topicDenied: count,
    malformedRequests: z.partialRecord(requestKind, count).describe('device requests refused because their body breaks the device/backend contract, by kind'),
    timeClaimsRefused: z.partialRecord(requestKind, count).describe('device requests refused because their t lies outside the current epoch, by kind'),
    requestFailures: count.describe('device requests whose serving failed inside the backend (recorded; the broker kept serving)'),
    tlsErrors: count.describe('TLS handshakes that failed on the broker\'s socket: mostly devices that rejected its chain (connects.rejectedByDevice), judged by the device, not the broker'),
    connectionsCut: z
      .strictObject(Object.fromEntries(CONNECTION_CUT_REASONS.map((reason) => [reason, count])) as Record<ConnectionCutReason, typeof count>)
      .optional()
      .describe(
        'connections the broker cut off to protect itself (scenario broker.connections), by reason; fd_exhausted: file descriptors exhausted, connections it could not hold. Absent from runs of certfleet versions that did not count them',
      ),
  }),
  deliveries: z.strictObject({ pushed: count, queued: count }),
  availability: z.strictObject({
    samples: z.array(availabilitySample),
    lowest: z.strictObject({ t: time, connected: share }).optional(),
    final: availabilitySample.optional(),
  }),
  activity: z
    .array(
      z.strictObject({
        t: time,
        rotationsSucceeded: count,
        rotationsFailed: count,
        connects: z
          .strictObject({ attempted: count, succeeded: count, refusedByBroker: count, rejectedByDevice: count, transportFailures: count })
          .optional()
          .describe('connects made in the interval with their parts, as connects (absent in runs written before it was counted)'),
        failures: z.record(judgeCause, count),
      }),
    )
    .describe('per sample interval [t - sample, t): rotations, connects and failures by judge:cause'),
  markers: z.array(
    z.strictObject({
      t: time,
      kind: z.enum(['expiry', 'event', 'fault']),
      certificate: z.strictObject({ name: z.string(), role: z.enum(['root', 'intermediate', 'cross-sign', 'server']) }).optional(),
      label: z.string(),
    }),
  ),
  incidents: z
    .array(incident)
    .optional()
    .describe('every stretch in which devices started failing, in order of start; absent from runs written before incidents existed'),
  quietMarkers: z
    .array(z.strictObject({ t: time, label: z.string() }))
    .optional()
    .describe('the markers (scenario events, certificate expiries, faults) in whose wake no device started failing: they caused nothing; absent from runs written before incidents existed'),
  faults: z
    .array(faultSummary)
    .optional()
    .describe('each injected fault (scenario faults): its window, effect and recovery; absent from runs written before faults existed'),
  audits: z.strictObject({
    settings: z.strictObject({ deviceCertificateExpiringDays: count, caCertificateExpiringDays: count }),
    checks: z.partialRecord(z.enum(AUDIT_CHECK_NAMES), auditCheckSeries),
  }),
  harness: z.strictObject({
    speed: z.union([z.number().positive(), z.literal('max')]).describe('simulated ms per wall second asked for'),
    lateEpochs: count,
    maxLagMs: count,
    finalLagMs: count,
    devicesRestarted: count.optional().describe('devices whose process died mid-run and was replaced (--on-device-crash restart)'),
    restarts: z
      .array(z.strictObject({ t: time, process: count, devices: count, reason: z.string() }))
      .optional()
      .describe('each replaced device process: when its devices rebooted, how many, and why'),
  }),
  thresholds: z.array(thresholdResult),
  thresholdsPassed: z.boolean().describe('every threshold held; also true when there were none (see gated)'),
  gated: z.boolean().optional().describe('whether any threshold was evaluated: false means nothing was gated, whatever thresholdsPassed says (absent in runs written before it existed)'),
});

export type PublishedRunSummary = z.output<typeof runSummarySchema>;

/**
 * Dotted paths of the keys `A` has and `B` lacks, at any depth ("[]" for array elements, "*" for the values of a
 * record); never when none.
 */
type MissingKeys<A, B, Path extends string = ''> = A extends readonly (infer ItemA)[]
  ? B extends readonly (infer ItemB)[]
    ? MissingKeys<ItemA, ItemB, `${Path}[]`>
    : never
  : A extends object
    ? B extends object
      ? string extends keyof A
        ? MissingKeys<NonNullable<A[keyof A]>, NonNullable<B[keyof B]>, `${Path}.*`>
        : { [K in keyof A & string]-?: K extends keyof B ? MissingKeys<NonNullable<A[K]>, NonNullable<B[K]>, `${Path}.${K}`> : `${Path}.${K}` }[keyof A &
            string]
      : never
    : never;

/*
 * The two directions in which the code and the schema could drift apart, as compile errors: every summary the code
 * writes must be a valid published summary, and the schema must name every key the code writes (strict objects
 * would otherwise refuse it at run time only).
 */
const everySummaryIsPublished = (summary: JudgedRunSummary): PublishedRunSummary => summary;
const noKeyUnpublished: [MissingKeys<JudgedRunSummary, PublishedRunSummary>] extends [never] ? true : MissingKeys<JudgedRunSummary, PublishedRunSummary> =
  true;
void everySummaryIsPublished;
void noKeyUnpublished;
