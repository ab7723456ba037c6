import { z } from 'zod';
import {
  describeInput,
  duration,
  fraction,
  hostName,
  instant,
  driftPpm,
  keyAlgorithm,
  name,
  numberOrRange,
  positiveDuration,
  ratePerSecond,
  speed,
} from './primitives.js';
import { BACKEND_DRIVEN_METHODS, describeRotationProtocols, ROTATION_METHODS } from '../device-api/rotation-protocols.js';
import { fault } from './fault-schema.js';
import { brokerTarget, externalBroker } from './broker-target-schema.js';
import { authorityFiles, type ImportedAuthority } from './authority-files-schema.js';

/**
 * The largest fleet certfleet carries: the fleet plan is copied into every device worker and each device holds its
 * own keys, certificates and TLS session in this machine's memory (a 10,000-device run is the documented benchmark).
 */
export const MAX_DEVICES = 100_000;

/** Run seeds: whole numbers a double holds exactly, so the seed a manifest records reads back as the same seed. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/**
 * The one schema every scenario file is checked against. Unknown keys are refused everywhere (strictObject), and the
 * cross-references (issuer names, cohort shares) are checked in `checkReferences` so that every problem in a file is
 * reported at once, each with its path.
 */

const distinguishedName = z.strictObject({
  CN: z.string().min(1),
  O: z.string().min(1).optional(),
  OU: z.string().min(1).optional(),
  /** X.520 countryName: a PrintableString of two letters (ISO 3166). */
  C: z.string().regex(/^[A-Z]{2}$/, { message: 'expected a two-letter country code such as "US"' }).optional(),
});

const authority = z.strictObject({
  name,
  /** Omitted for a cross-sign, which copies the subject of the authority it cross-signs. */
  subject: distinguishedName.optional(),
  /** Omitted: a self-signed root. */
  issuer: name.optional(),
  /** This certificate carries the subject and key of another authority, issued by `issuer` (a cross-sign). */
  crossSigns: name.optional(),
  key: keyAlgorithm.default('ec-p256'),
  /** Omitted only for a stand-in (`mirrors`), which copies the real certificate's validity. */
  notBefore: instant.optional(),
  notAfter: instant.optional(),
  /** RFC 5280 4.2.1.9; a chain of more than a few dozen authorities is a mistake. */
  pathLength: z.number().int().min(0).max(64).optional(),
  /**
   * A stand-in for a real root from a PEM bundle: same subject and validity as the real certificate (our own key,
   * since nobody has the real one), and it replaces the real certificate in trust stores built from that bundle.
   */
  mirrors: z.strictObject({ bundle: z.string().min(1), subjectCN: z.string().min(1) }).optional(),
  files: authorityFiles.optional(),
});

const serverCertificate = z.strictObject({
  name,
  issuer: name,
  notBefore: instant,
  notAfter: instant,
  key: keyAlgorithm.default('ec-p256'),
  /** The names the certificate covers (RFC 5280 4.2.1.6 subjectAltName). */
  hosts: z.array(hostName).min(1).default(['localhost', '127.0.0.1']),
  /** Authorities sent after the leaf, in order (the chain the broker serves). */
  chain: z.array(name).default([]),
});

const deviceCertificates = z.strictObject({
  issuer: name,
  /** Authorities a device sends after its leaf. */
  chain: z.array(name).default([]),
  lifetime: positiveDuration,
  /** notBefore is set this far before the issuing time (RFC 5280 does not require it; CAs do it for clock skew). */
  backdate: duration.default(0),
  key: keyAlgorithm.default('ec-p256'),
  /**
   * When the first certificates were issued: "spread" draws each device's issue time uniformly over one renewal
   * period before the timeline starts (a fleet in steady state); a window issues them all inside it (a same-week
   * manufacturing cohort).
   */
  issued: z.union([z.literal('spread'), z.strictObject({ from: instant, to: instant })]).default('spread'),
});

const pki = z.strictObject({
  authorities: z.array(authority).min(1).max(256),
  serverCertificates: z.array(serverCertificate).min(1).max(256),
  deviceCertificates,
  /**
   * A long-lived second identity per device (a birth, claim or attestation certificate) the factory installs. The
   * broker admits it only for provisioning (broker.bootstrapAuthorities), so a device whose operational certificate
   * lapsed can re-enrol, and `attestation` devices renew through it.
   */
  bootstrapCertificates: z
    .strictObject({ issuer: name, chain: z.array(name).default([]), lifetime: positiveDuration, key: keyAlgorithm.default('ec-p256') })
    .optional(),
});

const clock = z.strictObject({
  offset: duration.default(0),
  driftPpm: numberOrRange.default(0),
  boot: z
    .strictObject({
      resetTo: instant,
      /** "never": no time sync ever arrives; a range draws each device's delay uniformly (SNTP after Wi-Fi). */
      syncAfter: z
        .union([z.literal('never'), duration, z.strictObject({ min: duration, max: duration })], {
          error: (issue) => `expected "never", a duration or a range { min, max } of durations, got ${describeInput(issue.input)}`,
        })
        .default('never'),
    })
    .optional(),
  syncEvery: positiveDuration.optional(),
  jumps: z.array(z.strictObject({ at: instant, by: duration })).default([]),
});

const trustStore = z.strictObject({
  /** Scenario authorities the device trusts. */
  anchors: z.array(name).default([]),
  /** A PEM bundle (path relative to the scenario file), e.g. a frozen copy of /etc/ssl/certs/ca-certificates.crt. */
  bundle: z.string().min(1).optional(),
  /** accept: trust-bundle updates pushed by the backend are applied; ignore: the store is frozen in firmware. */
  updates: z.enum(['accept', 'ignore']).default('accept'),
  /** Authorities or server certificates the device pins; one must appear in the chain the broker serves. */
  pins: z.array(name).default([]),
});

/** A retry discipline (sim/policy/backoff.ts). */
const retry = z.strictObject({
  policy: z.enum(['full-jitter', 'exponential', 'fixed', 'decorrelated']).default('full-jitter'),
  initial: positiveDuration.default(60_000),
  max: positiveDuration.default(86_400_000),
});
const DEFAULT_RETRY = { policy: 'full-jitter', initial: 60_000, max: 86_400_000 } as const;

const renewal = z.strictObject({
  /** Renew at this fraction of the certificate's lifetime, read on the device's own clock. */
  at: fraction.default(2 / 3),
  /** Plus or minus this fraction of the lifetime, uniform per certificate. */
  jitter: fraction.default(0),
  /** Instead of at/jitter: a uniform random point inside this part of the lifetime (an ACME ARI-style window). */
  window: z.strictObject({ from: fraction, to: fraction }).optional(),
  /** Instead: the team's own policy, a JavaScript or TypeScript module (path relative to the scenario file). */
  module: z.string().min(1).optional(),
  /** Passed to the module's factory. */
  options: z.record(z.string(), z.unknown()).optional(),
  /**
   * Wall time each call into the module (its factory, renewAt, retryDelay) may take before the run stops as bad
   * input; importing it may take ten times as long. Default 1s (sim/policy/policy-module.ts), at most 1m.
   */
  budget: positiveDuration.refine((ms) => ms <= 60_000, { message: 'expected a duration of at most 1m' }).optional(),
  /** Backoff after a failed rotation. */
  retry: retry.default(DEFAULT_RETRY),
});

const outage = z.strictObject({
  every: positiveDuration,
  duration: positiveDuration,
});

const connectivity = z.strictObject({
  /** Mean time between session drops (network churn); the device reconnects at once. Omitted: sessions last. */
  reconnectEvery: positiveDuration.optional(),
  /** Recurring offline periods, each device with its own random phase. */
  outages: z.array(outage).default([]),
  /** Backoff before reconnecting after a failed connect or a lost session. */
  retry: retry.default(DEFAULT_RETRY),
  /** The host name these devices check the server certificate for and send in SNI; default broker.host. They dial the target's address. */
  host: hostName.optional(),
});

const rotation = z.strictObject({
  /** The names, and what each does, come from the registry (sim/device-api/rotation-protocols.ts). */
  protocol: z.enum(ROTATION_METHODS).default('csr').describe(describeRotationProtocols()),
  before: positiveDuration
    .default(30 * 86_400_000)
    .describe(`${BACKEND_DRIVEN_METHODS.join(' and ')}: the backend starts the rotation this long before the certificate expires (its own clock).`),
});

const cohort = z.strictObject({
  name,
  share: fraction,
  rotation: rotation.default({ protocol: 'csr', before: 30 * 86_400_000 }),
  /** A device whose certificate lapsed before it was renewed: locked out (none), or re-enrols with its bootstrap identity. */
  recovery: z.enum(['none', 'bootstrap']).default('none'),
  /**
   * Factory mistakes: `sharedBy: N` flashes the same certificate and key (so the same client id) into every N
   * devices of the cohort; `clientId` gives every device of the cohort the same MQTT client id with its own certificate
   * (admitted only when broker.clientIdMustMatchCertificate is false).
   */
  identity: z
    .strictObject({ sharedBy: z.number().int().min(1).max(MAX_DEVICES).default(1), clientId: z.string().min(1).optional() })
    .default({ sharedBy: 1 }),
  trustStore,
  pathBuilding: z.enum(['trusted-first', 'untrusted-first']).default('trusted-first'),
  anchorExpiry: z.enum(['enforce', 'ignore']).default('enforce'),
  clock: clock.default({ offset: 0, driftPpm: 0, jumps: [] }),
  renewal: renewal.default({ at: 2 / 3, jitter: 0, retry: DEFAULT_RETRY }),
  connectivity: connectivity.default({ outages: [], retry: DEFAULT_RETRY }),
});

/** Broker instances one run may start: each is a process with its own listener. */
const MAX_BROKER_INSTANCES = 64;
/** Node's timers hold at most 2^31 - 1 ms; an hour is far beyond any handshake or CONNECT. */
const MAX_WALL_TIMEOUT_MS = 3_600_000;
/** The largest packet MQTT 3.1.1 can frame: a fixed header of 5 bytes and a remaining length of 268,435,455. */
const MAX_MQTT_PACKET = 268_435_460;

const broker = z.strictObject({
  target: brokerTarget,
  external: externalBroker.optional(),
  serverCertificate: name,
  /** The authorities whose device certificates the broker accepts (its trust anchors for client chains). */
  deviceAuthorities: z.array(name).min(1),
  clock: z.strictObject({ offset: duration.default(0), driftPpm: driftPpm.default(0) }).default({ offset: 0, driftPpm: 0 }),
  /**
   * The name devices check the server certificate for (RFC 6125) and send in SNI (RFC 6066 3). Devices dial the
   * broker target's address (the embedded broker or Mosquitto on 127.0.0.1, broker.external.host), not this name.
   */
  host: hostName
    .default('localhost')
    .describe(
      'The name devices check the broker\'s server certificate for and send in SNI; they dial the broker target\'s address (127.0.0.1 for embedded and mosquitto, broker.external.host for external)',
    ),
  /**
   * More names the broker answers to, each with its own server certificate, chosen by the name a device sends in
   * TLS SNI (RFC 6066 3), like a cloud endpoint per region or per root. Any other name gets `serverCertificate`
   * (which `server-certificate` events switch).
   */
  endpoints: z.array(z.strictObject({ host: hostName, serverCertificate: name })).max(256).default([]),
  /**
   * Capacity limits (AWS IoT Core publishes its own: 1 CONNECT per second per client id, an account CONNECT rate,
   * 15 CreateCertificateFromCsr per second). A run with limits goes one device action at a time so that who is
   * refused, and who waits, is the same on every run.
   */
  limits: z
    .strictObject({
      /** CONNECTs per simulated second for the whole broker; beyond it CONNACK 3 and cause rate_limited. */
      connectsPerSecond: ratePerSecond.optional(),
      /** CONNECTs per simulated second for one client id. */
      connectsPerClientPerSecond: ratePerSecond.optional(),
      /** CSRs the CA signs per simulated second; the rest wait in a queue (the certificate is stamped when served). */
      issuancePerSecond: ratePerSecond.optional(),
      /** fleet-provisioning: RegisterThing calls served per simulated second (AWS: 10). */
      registrationsPerSecond: ratePerSecond.optional(),
    })
    .optional(),
  /**
   * Limits on clients that misbehave on the network, in wall-clock time and bytes (not simulated time): each cut is
   * counted in summary.json (broker.connectionsCut). The defaults suit a legitimate fleet on a busy machine.
   */
  connections: z
    .strictObject({
      /** A TLS handshake not finished in this time is cut off (Node's handshakeTimeout; default 30s). */
      handshakeTimeout: positiveDuration.refine((ms) => ms <= MAX_WALL_TIMEOUT_MS, { message: 'expected at most 1h' }).default(30_000),
      /** A TLS connection that sends no CONNECT in this time is cut off (aedes connectTimeout; default 30s). */
      connectTimeout: positiveDuration.refine((ms) => ms <= MAX_WALL_TIMEOUT_MS, { message: 'expected at most 1h' }).default(30_000),
      /**
       * Bytes: the largest MQTT packet (MQTT 3.1.1 2.2.3: fixed header and remaining length) a client may send before
       * it is admitted, when it may have no certificate at all. A CONNECT is a few hundred bytes (default 16 KiB).
       */
      maxPacketBeforeConnect: z.number().int().min(256).max(MAX_MQTT_PACKET).default(16 * 1024),
      /**
       * Bytes: the largest MQTT packet an admitted device may send. Its largest, a CSR for an RSA key, is a few KB;
       * AWS IoT Core caps a message at 128 KB (default 256 KiB).
       */
      maxPacketAfterConnect: z.number().int().min(1024).max(MAX_MQTT_PACKET).default(256 * 1024),
      /** Open connections from one source address; the rest are closed on arrival. Omitted: unlimited (a fleet dials from 127.0.0.1). */
      perSource: z.number().int().positive().optional(),
    })
    .default({ handshakeTimeout: 30_000, connectTimeout: 30_000, maxPacketBeforeConnect: 16 * 1024, maxPacketAfterConnect: 256 * 1024 }),
  /** Authorities of bootstrap identities: admitted for provisioning topics only. */
  bootstrapAuthorities: z.array(name).default([]),
  /** The CA renews a certificate expired up to this long ago (step-ca's allowRenewalAfterExpiry); omitted: never. */
  renewAfterExpiry: positiveDuration.optional(),
  /** Refuse a client whose MQTT client id is not its certificate's CN (true); false admits any client id, as AWS IoT can. */
  clientIdMustMatchCertificate: z.boolean().default(true),
  /** fleet-provisioning: how long a certificate ownership token stays valid (AWS: 1 hour). */
  ownershipTokenLifetime: positiveDuration.default(3_600_000),
  /**
   * The embedded broker as this many processes joined through Redis (certfleet run --redis), device i on instance
   * i mod B: more devices than one process's open files allow (docs/architecture.md, "Broker instances").
   */
  instances: z
    .number()
    .int()
    .min(1)
    .max(MAX_BROKER_INSTANCES)
    .default(1)
    .describe('embedded target: run the broker as this many processes joined through Redis (needs certfleet run --redis); device i dials instance i mod B'),
});

const timeline = z.strictObject({
  start: z
    .union([z.literal('now'), instant], {
      error: (issue) =>
        issue.input === undefined
          ? 'required: expected "now" or a UTC time such as "2030-01-01T00:00:00Z"'
          : `expected "now" or a UTC time such as "2030-01-01T00:00:00Z", got ${describeInput(issue.input)}`,
    })
    .describe('When the timeline starts: a UTC time, or "now" (the run\'s start, to the second) for a run on real time against a broker on its own clock'),
  end: instant.optional().describe('When the timeline ends (or give timeline.duration instead)'),
  duration: positiveDuration.optional().describe('How long the timeline lasts from its start, instead of timeline.end (what a timeline starting "now" gives)'),
  /** Simulated time per wall second ("30d/s"), or "max" to run as fast as the harness can. */
  speed: speed.default(Number.POSITIVE_INFINITY),
  /** Epoch length: devices and broker synchronise at least this often in simulated time. */
  step: positiveDuration.default(3_600_000),
  /** How often fleet availability is sampled. */
  sample: positiveDuration.default(86_400_000),
});

const trustRollout = z.strictObject({
  type: z.literal('trust-rollout'),
  at: instant,
  add: z.array(name).default([]),
  remove: z.array(name).default([]),
  /** Share of the targeted devices that receive the update. */
  share: fraction.default(1),
  /** Deliveries are spread uniformly over this period after `at`. */
  over: duration.default(0),
  /** Only these cohorts; all when omitted. */
  cohorts: z.array(name).optional(),
});

const serverCertificateSwitch = z.strictObject({
  type: z.literal('server-certificate'),
  at: instant,
  use: name,
});

const revoke = z.strictObject({
  type: z.literal('revoke'),
  at: instant,
  /** An authority (revoked by its issuer) ... */
  authority: name.optional(),
  /** ... or this share of the device certificates of these cohorts (all cohorts when omitted). */
  devices: z.strictObject({ share: fraction, cohorts: z.array(name).optional() }).optional(),
});

/** Server push: the backend issues a certificate and key for each chosen device and sends them cloud-to-device. */
const pushCertificates = z.strictObject({
  type: z.literal('push-certificates'),
  at: instant,
  share: fraction.default(1),
  over: duration.default(0),
  cohorts: z.array(name).optional(),
});

/** The broker goes down: every session drops, CONNECTs are refused for `downFor`, then it is back. */
const brokerRestart = z.strictObject({
  type: z.literal('broker-restart'),
  at: instant,
  downFor: duration.default(0),
});

const deviceAuthoritiesChange = z.strictObject({
  type: z.literal('broker-device-authorities'),
  at: instant,
  add: z.array(name).default([]),
  remove: z.array(name).default([]),
});

const event = z.discriminatedUnion('type', [trustRollout, serverCertificateSwitch, revoke, pushCertificates, brokerRestart, deviceAuthoritiesChange], {
  error: (issue) =>
    `expected an event type of "trust-rollout", "server-certificate", "revoke", "push-certificates", "broker-restart" or "broker-device-authorities", got ${describeInput(
      (issue.input as { type?: unknown } | undefined)?.type,
    )}`,
});

export const scenarioSchema = z.strictObject({
  name,
  description: z.string().min(1),
  seed: z.number().int().min(0).max(MAX_SEED).default(1),
  timeline,
  pki,
  broker,
  fleet: z.strictObject({
    devices: z.number().int().min(1).max(MAX_DEVICES),
    cohorts: z.array(cohort).min(1).max(256),
  }),
  /** Each trust rollout or push is planned per device: at most 1000 events. */
  events: z.array(event).max(1000).default([]),
  /** Faults injected on purpose (sim/scenario/fault-schema.ts): message loss, the CA down or slow, partitions, kills. */
  faults: z.array(fault).max(1000).default([]),
  /** Device Defender-style audits, evaluated at every availability sample. */
  audits: z
    .strictObject({
      /** DEVICE_CERTIFICATE_EXPIRING_CHECK threshold: 30 days by default, 30 to 3652 (AWS's range). */
      deviceCertificateExpiringDays: z.number().int().min(30).max(3652).default(30),
      caCertificateExpiringDays: z.number().int().min(30).max(3652).default(30),
    })
    .default({ deviceCertificateExpiringDays: 30, caCertificateExpiringDays: 30 }),
  /**
   * Pass/fail criteria evaluated at the end of the run, e.g. "availability.min >= 99.5%", "lockedOut == 0",
   * "rotation.latency.p95 < 2s", "failures[expired_root] == 0"; optionally for one cohort.
   */
  thresholds: z
    .array(z.union([z.string().min(1), z.strictObject({ check: z.string().min(1), cohort: name.optional(), name: z.string().min(1).optional() })]))
    .default([]),
});

/** What the schema gives: the timeline's start may still be "now", its end a duration. */
export type ParsedScenario = z.output<typeof scenarioSchema>;
type ParsedTimeline = ParsedScenario['timeline'];
/** The timeline once its start and end are instants (sim/scenario/resolve-timeline.ts). */
export type ScenarioTimeline = Omit<ParsedTimeline, 'start' | 'end' | 'duration'> & {
  start: number;
  end: number;
  /** The file said `start: now`: the run is on real time, started when the scenario was loaded. */
  startsNow: boolean;
};
export type Scenario = Omit<ParsedScenario, 'timeline' | 'pki'> & { timeline: ScenarioTimeline; pki: ScenarioPkiSection };
/**
 * The pki section; `imported` holds what the loader read from the files of authorities given by `files`
 * (sim/scenario/authority-files.ts), by authority name, so building the PKI reads no file.
 */
export type ScenarioPkiSection = ParsedScenario['pki'] & { imported?: Record<string, ImportedAuthority> };
export type ScenarioAuthority = Scenario['pki']['authorities'][number];
export type ScenarioServerCertificate = Scenario['pki']['serverCertificates'][number];
export type ScenarioCohort = Scenario['fleet']['cohorts'][number];
export type ScenarioClock = ScenarioCohort['clock'];
export type ScenarioEvent = Scenario['events'][number];
