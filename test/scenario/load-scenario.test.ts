import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, ScenarioError } from '../../sim/scenario/load-scenario.js';
import type { Scenario } from '../../sim/scenario/schema.js';
import { BASE, edited, type Edit } from './scenario-text.js';
import { DAY } from '../support/time.js';

const SCENARIOS = join(import.meta.dirname, '../../scenarios');

/** The problems parseScenario reports for a text; fails the test when it accepts the text. */
function problemsOf(text: string): readonly string[] {
  try {
    parseScenario(text, 'test.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  throw new Error('expected a ScenarioError, but the scenario was accepted');
}

const UNKNOWN = 'unknown key (not part of the scenario schema)';
/** The server and device certificates issued by the root, so that "ca" can become a cross-sign (which has no key to sign with). */
const ROOT_SIGNS: Edit[] = [
  ['    - name: broker\n      issuer: ca\n', '    - name: broker\n      issuer: root\n'],
  ['    issuer: ca\n    lifetime: 90d', '    issuer: root\n    lifetime: 90d'],
];
const UTC_HINT = 'expected a UTC time such as "2030-01-01T00:00:00Z"';
/** timeline.start also takes "now" (a run on real time). */
const START_HINT = 'expected "now" or a UTC time such as "2030-01-01T00:00:00Z"';
const DURATION_HINT = 'expected a duration such as "90d", "24h", "30m", "15s" or "-619315200s"';
const FRACTION_RANGE = 'expected a fraction between 0 and 1 such as 0.8, "80%" or "2/3"';
const SPEED_HINT = 'expected "max" or a rate such as "30d/s"';

describe('loadScenario on the shipped scenarios', () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'));

  it('the scenarios folder holds at least one scenario', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('the shipped scenario %s loads, with the sha256 of its bytes', (file) => {
    const path = join(SCENARIOS, file);
    const loaded = loadScenario(path);
    expect(loaded.file).toBe(path);
    expect(loaded.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
  });

  it('root-expiry-2030 reads its times, durations, fractions and speed as numbers', () => {
    const { scenario } = loadScenario(join(SCENARIOS, 'root-expiry-2030.yaml'));
    expect(scenario.timeline).toEqual({
      start: Date.parse('2029-06-01T00:00:00Z'),
      end: Date.parse('2030-04-01T00:00:00Z'),
      speed: Number.POSITIVE_INFINITY,
      step: 6 * 3_600_000,
      sample: DAY,
      startsNow: false,
    });
    expect(scenario.fleet.cohorts.map((c) => c.share)).toEqual([0.6, 0.15, 0.15, 0.1]);
    expect(scenario.fleet.cohorts[0]?.renewal).toEqual({ at: 2 / 3, jitter: 0.05, retry: { policy: 'full-jitter', initial: 600_000, max: 2 * DAY } });
    expect(scenario.events[0]).toMatchObject({ type: 'trust-rollout', share: 0.9, over: 90 * DAY, add: ['root-g2'] });
  });
});

describe('parseScenario on valid text', () => {
  it('the minimal scenario used by these tests is valid and gets the documented defaults', () => {
    const s = parseScenario(BASE, 'test.yaml');
    expect(s.seed).toBe(1);
    expect(s.timeline.speed).toBe(Number.POSITIVE_INFINITY);
    expect(s.timeline.step).toBe(3_600_000);
    expect(s.timeline.sample).toBe(DAY);
    expect(s.pki.authorities.map((a) => a.key)).toEqual(['ec-p256', 'ec-p256']);
    expect(s.pki.serverCertificates[0]?.hosts).toEqual(['localhost', '127.0.0.1']);
    expect(s.pki.deviceCertificates).toEqual({ issuer: 'ca', chain: [], lifetime: 90 * DAY, backdate: 0, key: 'ec-p256', issued: 'spread' });
    expect(s.broker).toEqual({
      target: 'embedded',
      serverCertificate: 'broker',
      deviceAuthorities: ['root'],
      clock: { offset: 0, driftPpm: 0 },
      host: 'localhost',
      endpoints: [],
      instances: 1,
      bootstrapAuthorities: [],
      ownershipTokenLifetime: 3_600_000,
      clientIdMustMatchCertificate: true,
      connections: { handshakeTimeout: 30_000, connectTimeout: 30_000, maxPacketBeforeConnect: 16_384, maxPacketAfterConnect: 262_144 },
    });
    const b = s.fleet.cohorts[1];
    expect(b?.trustStore).toEqual({ anchors: ['root'], updates: 'accept', pins: [] });
    expect(b?.pathBuilding).toBe('trusted-first');
    expect(b?.anchorExpiry).toBe('enforce');
    expect(b?.clock).toEqual({ offset: 0, driftPpm: 0, jumps: [] });
    expect(b?.renewal).toEqual({ at: 2 / 3, jitter: 0, retry: { policy: 'full-jitter', initial: 60_000, max: DAY } });
    expect(b?.connectivity).toEqual({ outages: [], retry: { policy: 'full-jitter', initial: 60_000, max: DAY } });
    expect(s.fleet.cohorts[0]?.clock.driftPpm).toEqual({ min: -20, max: 20 });
  });

  const accepted: [string, Edit[], (s: Scenario) => unknown, unknown][] = [
    ['shares written as "60%" and "2/5"', [['      share: 0.6', '      share: 60%'], ['      share: 0.4', '      share: 2/5']], (s) => s.fleet.cohorts.map((c) => c.share), [0.6, 0.4]],
    ['a renewal point written as "2/3"', [['      share: 0.4\n', '      share: 0.4\n      renewal: { at: 2/3 }\n']], (s) => s.fleet.cohorts[1]?.renewal.at, 2 / 3],
    ['a renewal point written as "80%"', [['      share: 0.4\n', '      share: 0.4\n      renewal: { at: 80% }\n']], (s) => s.fleet.cohorts[1]?.renewal.at, 0.8],
    ['a fraction of exactly 1', [['      share: 0.6', '      share: 1'], ['      share: 0.4', '      share: 0']], (s) => s.fleet.cohorts.map((c) => c.share), [1, 0]],
    ['speed "max"', [['  end: 2030-03-01T00:00:00Z\n', '  end: 2030-03-01T00:00:00Z\n  speed: max\n']], (s) => s.timeline.speed, Number.POSITIVE_INFINITY],
    ['speed "30d/s"', [['  end: 2030-03-01T00:00:00Z\n', '  end: 2030-03-01T00:00:00Z\n  speed: 30d/s\n']], (s) => s.timeline.speed, 30 * DAY],
    ['speed "1.5h/s"', [['  end: 2030-03-01T00:00:00Z\n', '  end: 2030-03-01T00:00:00Z\n  speed: 1.5h/s\n']], (s) => s.timeline.speed, 5_400_000],
    ['a date without a time', [['  start: 2030-01-01T00:00:00Z', '  start: 2030-01-01']], (s) => s.timeline.start, Date.parse('2030-01-01T00:00:00Z')],
    ['a time with milliseconds', [['  start: 2030-01-01T00:00:00Z', '  start: 2030-01-01T00:00:00.250Z']], (s) => s.timeline.start, Date.parse('2030-01-01T00:00:00.250Z')],
    ['a time without seconds', [['  start: 2030-01-01T00:00:00Z', '  start: 2030-01-01T06:30Z']], (s) => s.timeline.start, Date.parse('2030-01-01T06:30:00Z')],
    ['an event exactly at the timeline start', [['    at: 2030-02-01T00:00:00Z', '    at: 2030-01-01T00:00:00Z']], (s) => s.events[0]?.at, Date.parse('2030-01-01T00:00:00Z')],
    ['an event exactly at the timeline end', [['    at: 2030-02-01T00:00:00Z', '    at: 2030-03-01T00:00:00Z']], (s) => s.events[0]?.at, Date.parse('2030-03-01T00:00:00Z')],
    [
      'a manufacturing window whose ends coincide',
      [['    lifetime: 90d\n', '    lifetime: 90d\n    issued: { from: 2029-11-01T00:00:00Z, to: 2029-11-01T00:00:00Z }\n']],
      (s) => s.pki.deviceCertificates.issued,
      { from: Date.parse('2029-11-01T00:00:00Z'), to: Date.parse('2029-11-01T00:00:00Z') },
    ],
    [
      'a GPS week rollover written as a negative duration in seconds',
      [['      share: 0.4\n', '      share: 0.4\n      clock: { jumps: [{ at: 2030-01-02T00:00:00Z, by: -619315200s }] }\n']],
      (s) => s.fleet.cohorts[1]?.clock.jumps,
      [{ at: Date.parse('2030-01-02T00:00:00Z'), by: -619_315_200_000 }],
    ],
    [
      'a boot that resets to 1970 and never syncs',
      [['      share: 0.4\n', '      share: 0.4\n      clock: { boot: { resetTo: 1970-01-01 } }\n']],
      (s) => s.fleet.cohorts[1]?.clock.boot,
      { resetTo: 0, syncAfter: 'never' },
    ],
    [
      'a cross-sign without a subject, signed by another authority',
      [['    - name: ca\n      subject: { CN: Test CA }\n', '    - name: ca\n      crossSigns: root\n'], ...ROOT_SIGNS],
      (s) => s.pki.authorities[1]?.crossSigns,
      'root',
    ],
  ];

  it.each(accepted)('accepts %s', (_name, edits, select, expected) => {
    expect(select(parseScenario(edited(...edits), 'test.yaml'))).toEqual(expected);
  });
});

describe('parseScenario schema problems, with their exact text', () => {
  const rejected: [string, Edit[], string[]][] = [
    // Unknown keys point at the key itself.
    ['an unknown key at the top level', [['name: tiny\n', 'name: tiny\ncolour: red\n']], [`line 2, column 1: colour: ${UNKNOWN}`]],
    [
      'an unknown key in a server certificate',
      [['      chain: [ca]\n', '      chain: [ca]\n      colour: red\n']],
      [`line 23, column 7: pki.serverCertificates[0].colour: ${UNKNOWN}`],
    ],
    [
      'an unknown key inside a flow mapping three levels down',
      [['      clock: { driftPpm: { min: -20, max: 20 } }', '      clock: { driftPpm: 1, boot: { resetTo: 1970-01-01, syncAfter: 5m, typo: 1 } }']],
      [`line 35, column 73: fleet.cohorts[0].clock.boot.typo: ${UNKNOWN}`],
    ],
    ['an unknown key in an event', [['    use: broker\n', '    use: broker\n    extra: 1\n']], [`line 43, column 5: events[0].extra: ${UNKNOWN}`]],
    ['a misspelt key in the fleet', [['  devices: 10\n', '  devices: 10\n  cohort: []\n']], [`line 31, column 3: fleet.cohort: ${UNKNOWN}`]],
    // Wrong types.
    [
      'a word where a drift is expected',
      [['{ min: -20, max: 20 }', 'fast']],
      ['line 35, column 16: fleet.cohorts[0].clock.driftPpm: expected a number or a range { min, max }, got "fast"'],
    ],
    ['a drift range with min above max', [['{ min: -20, max: 20 }', '{ min: 20, max: -20 }']], ['line 35, column 16: fleet.cohorts[0].clock.driftPpm: expected min <= max']],
    ['a word as the device count', [['  devices: 10', '  devices: ten']], ['line 30, column 3: fleet.devices: expected a number, got "ten"']],
    ['a fractional device count', [['  devices: 10', '  devices: 2.5']], ['line 30, column 3: fleet.devices: expected a whole number, got 2.5']],
    ['a negative device count', [['  devices: 10', '  devices: -3']], ['line 30, column 3: fleet.devices: expected a number >= 1, got -3']],
    ['a device count of zero', [['  devices: 10', '  devices: 0']], ['line 30, column 3: fleet.devices: expected a number >= 1, got 0']],
    ['a list where a mapping is expected', [['  deviceCertificates:\n    issuer: ca\n    lifetime: 90d\n', '  deviceCertificates: [ca, 90d]\n']], ['line 23, column 3: pki.deviceCertificates: expected a mapping, got a list']],
    [
      'an unknown path-building policy',
      [['      share: 0.4\n', '      share: 0.4\n      pathBuilding: sideways\n']],
      ['line 38, column 7: fleet.cohorts[1].pathBuilding: expected "trusted-first" or "untrusted-first", got "sideways"'],
    ],
    ['an unknown key algorithm', [['    lifetime: 90d\n', '    lifetime: 90d\n    key: dsa-1024\n']], ['line 26, column 5: pki.deviceCertificates.key: expected "ec-p256", "rsa-2048" or "rsa-1024", got "dsa-1024"']],
    ['a name with capitals and a space', [['name: tiny', 'name: Tiny Scenario']], ['line 1, column 1: name: expected a name of lower-case letters, digits, ".", "_" and "-"']],
    ['an empty cohort list', [['  cohorts:\n', '  cohorts: []\n  old:\n']], ['line 31, column 3: fleet.cohorts: expected at least 1 item', `line 32, column 3: fleet.old: ${UNKNOWN}`]],
    // Missing required keys point at the mapping that lacks them.
    ['a missing device count', [['  devices: 10\n', '']], ['line 30, column 3: fleet.devices: required: expected a number']],
    ['a missing description', [['description: A tiny scenario for tests.\n', '']], ['line 1, column 1: description: required: expected a text']],
    ['a missing timeline start', [['  start: 2030-01-01T00:00:00Z\n', '']], [`line 4, column 3: timeline.start: required: ${START_HINT}`]],
    [
      'a cohort without a trust store',
      [['      trustStore: { anchors: [root] }\n      clock', '      clock']],
      ['line 32, column 7: fleet.cohorts[0].trustStore: required: expected a mapping'],
    ],
    // UTC times.
    ['a time with a space and no zone', [['  start: 2030-01-01T00:00:00Z', '  start: 2030-01-01 00:00']], [`line 4, column 3: timeline.start: ${START_HINT}, got "2030-01-01 00:00"`]],
    ['a time with a zone offset', [['  start: 2030-01-01T00:00:00Z', '  start: 2030-01-01T00:00:00+01:00']], [`line 4, column 3: timeline.start: ${START_HINT}, got "2030-01-01T00:00:00+01:00"`]],
    ['a time in month 13', [['  start: 2030-01-01T00:00:00Z', '  start: 2030-13-01T00:00:00Z']], [`line 4, column 3: timeline.start: ${START_HINT}, got "2030-13-01T00:00:00Z"`]],
    ['a time written as a word', [['  end: 2030-03-01T00:00:00Z', '  end: tomorrow']], [`line 5, column 3: timeline.end: ${UTC_HINT}, got "tomorrow"`]],
    ['a time written as a number', [['      notBefore: 2020-01-01T00:00:00Z\n      notAfter: 2040', '      notBefore: 1577836800000\n      notAfter: 2040']], [`line 10, column 7: pki.authorities[0].notBefore: ${UTC_HINT}, got 1577836800000`]],
    // Durations.
    ['a duration with a spelled-out unit', [['    lifetime: 90d', '    lifetime: 90 days']], [`line 25, column 5: pki.deviceCertificates.lifetime: ${DURATION_HINT}, got "90 days"`]],
    ['a duration without a unit', [['    lifetime: 90d', '    lifetime: 90']], [`line 25, column 5: pki.deviceCertificates.lifetime: ${DURATION_HINT}, got 90`]],
    ['a zero lifetime', [['    lifetime: 90d', '    lifetime: 0d']], ['line 25, column 5: pki.deviceCertificates.lifetime: expected a duration greater than zero']],
    ['a negative lifetime', [['    lifetime: 90d', '    lifetime: -1d']], ['line 25, column 5: pki.deviceCertificates.lifetime: expected a duration greater than zero']],
    // Fractions.
    ['a share of 1.5', [['      share: 0.6', '      share: 1.5']], [`line 33, column 7: fleet.cohorts[0].share: ${FRACTION_RANGE}, got 1.5`]],
    ['a share of "150%"', [['      share: 0.6', '      share: 150%']], [`line 33, column 7: fleet.cohorts[0].share: ${FRACTION_RANGE}, got "150%"`]],
    ['a share of "3/2"', [['      share: 0.6', '      share: 3/2']], [`line 33, column 7: fleet.cohorts[0].share: ${FRACTION_RANGE}, got "3/2"`]],
    ['a share of "1/0"', [['      share: 0.6', '      share: 1/0']], [`line 33, column 7: fleet.cohorts[0].share: ${FRACTION_RANGE}, got "1/0"`]],
    ['a negative share', [['      share: 0.6', '      share: -0.1']], [`line 33, column 7: fleet.cohorts[0].share: ${FRACTION_RANGE}, got -0.1`]],
    ['a share written as a word', [['      share: 0.6', '      share: lots']], [`line 33, column 7: fleet.cohorts[0].share: ${FRACTION_RANGE}, got "lots"`]],
    ['a share of true', [['      share: 0.6', '      share: true']], ['line 33, column 7: fleet.cohorts[0].share: expected a fraction such as 0.8, "80%" or "2/3", got true']],
    // Speed.
    ['speed "fast"', [['  end: 2030-03-01T00:00:00Z\n', '  end: 2030-03-01T00:00:00Z\n  speed: fast\n']], [`line 6, column 3: timeline.speed: ${SPEED_HINT}, got "fast"`]],
    ['speed "30d" without "/s"', [['  end: 2030-03-01T00:00:00Z\n', '  end: 2030-03-01T00:00:00Z\n  speed: 30d\n']], [`line 6, column 3: timeline.speed: ${SPEED_HINT}, got "30d"`]],
    ['speed "0d/s"', [['  end: 2030-03-01T00:00:00Z\n', '  end: 2030-03-01T00:00:00Z\n  speed: 0d/s\n']], [`line 6, column 3: timeline.speed: ${SPEED_HINT}, got "0d/s"`]],
    ['speed "-1d/s"', [['  end: 2030-03-01T00:00:00Z\n', '  end: 2030-03-01T00:00:00Z\n  speed: -1d/s\n']], [`line 6, column 3: timeline.speed: ${SPEED_HINT}, got "-1d/s"`]],
    // Events.
    [
      'an unknown event type',
      [['  - type: server-certificate', '  - type: reboot']],
      ['line 40, column 5: events[0].type: expected an event type of "trust-rollout", "server-certificate", "revoke", "push-certificates", "broker-restart" or "broker-device-authorities", got "reboot"'],
    ],
    [
      'an event without a type',
      [['  - type: server-certificate\n', '  -\n']],
      ['line 41, column 5: events[0].type: expected an event type of "trust-rollout", "server-certificate", "revoke", "push-certificates", "broker-restart" or "broker-device-authorities", got nothing'],
    ],
  ];

  it.each(rejected)('refuses %s', (_name, edits, problems) => {
    expect(problemsOf(edited(...edits))).toEqual(problems);
  });

  it('reports a non-existent date such as 30 February instead of rolling it into March', () => {
    // Date.parse('2020-02-30T00:00:00Z') is 2020-03-01 in V8; the ISO pattern alone does not catch it.
    expect(problemsOf(edited(['      notBefore: 2020-01-01T00:00:00Z\n      notAfter: 2040', '      notBefore: 2020-02-30T00:00:00Z\n      notAfter: 2040']))).toEqual([
      `line 10, column 7: pki.authorities[0].notBefore: ${UTC_HINT}, got "2020-02-30T00:00:00Z"`,
    ]);
  });

  it('an empty file is refused at the top level, without a line', () => {
    expect(problemsOf('')).toEqual(['(top level): expected a mapping, got null']);
  });
});

describe('parseScenario reference checks (run once the schema passes)', () => {
  const AUTHORITY_3 = '      notAfter: 2035-01-01T00:00:00Z\n';
  const rejected: [string, Edit[], string[]][] = [
    ['an issuer naming a missing authority', [['      issuer: root\n', '      issuer: nowhere\n']], ['line 14, column 7: pki.authorities[1].issuer: expected the name of an authority in pki.authorities, got "nowhere"']],
    ['cohort shares adding up to 0.9', [['      share: 0.4', '      share: 0.3']], ['line 31, column 3: fleet.cohorts: expected cohort shares that add up to 1, got 0.9']],
    ['cohort shares adding up to 1.1', [['      share: 0.4', '      share: 50%']], ['line 31, column 3: fleet.cohorts: expected cohort shares that add up to 1, got 1.1']],
    ['an authority whose notAfter is before its notBefore', [['      notAfter: 2035-01-01T00:00:00Z', '      notAfter: 2019-01-01T00:00:00Z']], ['line 16, column 7: pki.authorities[1].notAfter: expected notAfter to be later than notBefore']],
    ['an authority whose notAfter equals its notBefore', [['      notAfter: 2035-01-01T00:00:00Z', '      notAfter: 2020-01-01T00:00:00Z']], ['line 16, column 7: pki.authorities[1].notAfter: expected notAfter to be later than notBefore']],
    ['a server certificate whose notAfter is before its notBefore', [['      notAfter: 2031-01-01T00:00:00Z', '      notAfter: 2028-01-01T00:00:00Z']], ['line 21, column 7: pki.serverCertificates[0].notAfter: expected notAfter to be later than notBefore']],
    [
      'a cross-sign that has a subject',
      [['    - name: ca\n      subject: { CN: Test CA }\n', '    - name: ca\n      crossSigns: root\n      subject: { CN: Test CA }\n'], ...ROOT_SIGNS],
      ['line 14, column 7: pki.authorities[1].subject: expected no subject: a cross-sign copies the subject of the authority it signs'],
    ],
    [
      'a cross-sign without an issuer',
      [['    - name: ca\n      subject: { CN: Test CA }\n      issuer: root\n', '    - name: ca\n      crossSigns: root\n'], ...ROOT_SIGNS],
      ['line 12, column 7: pki.authorities[1].issuer: expected the authority that signs the cross-certificate'],
    ],
    [
      'a cross-sign of itself',
      [['    - name: ca\n      subject: { CN: Test CA }\n', '    - name: ca\n      crossSigns: ca\n'], ...ROOT_SIGNS],
      ['line 13, column 7: pki.authorities[1].crossSigns: expected another authority than this one'],
    ],
    ['an authority without a subject', [['    - name: ca\n      subject: { CN: Test CA }\n', '    - name: ca\n']], ['line 12, column 7: pki.authorities[1].subject: expected a subject such as { CN: "Fleet Root CA" }']],
    [
      'a revoke that names a root',
      [['    use: broker\n', '    use: broker\n  - type: revoke\n    at: 2030-02-01T00:00:00Z\n    authority: root\n']],
      ['line 45, column 5: events[1].authority: expected an authority with an issuer: a self-signed root cannot be revoked'],
    ],
    [
      'a revoke that names a missing authority',
      [['    use: broker\n', '    use: broker\n  - type: revoke\n    at: 2030-02-01T00:00:00Z\n    authority: ghost\n']],
      ['line 45, column 5: events[1].authority: expected the name of an authority in pki.authorities, got "ghost"'],
    ],
    [
      'a revoke with both an authority and devices',
      [['    use: broker\n', '    use: broker\n  - type: revoke\n    at: 2030-02-01T00:00:00Z\n    authority: ca\n    devices: { share: 0.1 }\n']],
      ['line 43, column 5: events[1]: expected exactly one of "authority" or "devices"'],
    ],
    [
      'a revoke with neither an authority nor devices',
      [['    use: broker\n', '    use: broker\n  - type: revoke\n    at: 2030-02-01T00:00:00Z\n']],
      ['line 43, column 5: events[1]: expected exactly one of "authority" or "devices"'],
    ],
    ['an event after the timeline end', [['    at: 2030-02-01T00:00:00Z', '    at: 2031-02-01T00:00:00Z']], ['line 41, column 5: events[0].at: expected a time within the timeline (start to end)']],
    ['an event one millisecond before the timeline start', [['    at: 2030-02-01T00:00:00Z', '    at: 2029-12-31T23:59:59.999Z']], ['line 41, column 5: events[0].at: expected a time within the timeline (start to end)']],
    ['two cohorts with the same name', [['    - name: b\n', '    - name: a\n']], ['line 36, column 7: fleet.cohorts[1].name: expected a name not used by another cohort']],
    [
      'two authorities with the same name',
      [[AUTHORITY_3, `${AUTHORITY_3}    - name: root\n      subject: { CN: Other Root }\n      notBefore: 2020-01-01T00:00:00Z\n      notAfter: 2040-01-01T00:00:00Z\n`]],
      ['line 17, column 7: pki.authorities[2].name: expected a name not used by another authority'],
    ],
    [
      'a server certificate named like an authority',
      [['      chain: [ca]\n', '      chain: [ca]\n    - name: ca\n      issuer: ca\n      notBefore: 2029-01-01T00:00:00Z\n      notAfter: 2031-01-01T00:00:00Z\n']],
      ['line 23, column 7: pki.serverCertificates[1].name: expected a name not used by an authority'],
    ],
    [
      'two server certificates with the same name',
      [['      chain: [ca]\n', '      chain: [ca]\n    - name: broker\n      issuer: ca\n      notBefore: 2029-01-01T00:00:00Z\n      notAfter: 2031-01-01T00:00:00Z\n']],
      ['line 23, column 7: pki.serverCertificates[1].name: expected a name not used by another server certificate'],
    ],
    [
      'an issuer cycle between two authorities (both are reported)',
      [['      subject: { CN: Test Root }\n', '      subject: { CN: Test Root }\n      issuer: ca\n']],
      [
        'line 10, column 7: pki.authorities[0].issuer: expected issuers and cross-signs that end at a self-signed root, found a cycle: root -> ca -> root',
        'line 15, column 7: pki.authorities[1].issuer: expected issuers and cross-signs that end at a self-signed root, found a cycle: ca -> root -> ca',
      ],
    ],
    ['a broker server certificate that does not exist', [['  serverCertificate: broker', '  serverCertificate: other']], ['line 27, column 3: broker.serverCertificate: expected the name of a server certificate in pki.serverCertificates, got "other"']],
    ['a broker device authority that does not exist', [['  deviceAuthorities: [root]', '  deviceAuthorities: [ghost]']], ['line 28, column 23: broker.deviceAuthorities[0]: expected the name of an authority in pki.authorities, got "ghost"']],
    ['a device certificate issuer that does not exist', [['    issuer: ca\n    lifetime', '    issuer: ghost\n    lifetime']], ['line 24, column 5: pki.deviceCertificates.issuer: expected the name of an authority in pki.authorities, got "ghost"']],
    ['a server chain naming a missing authority', [['      chain: [ca]', '      chain: [ca, ghost]']], ['line 22, column 19: pki.serverCertificates[0].chain[1]: expected the name of an authority in pki.authorities, got "ghost"']],
    ['a trust anchor that does not exist', [['      share: 0.4\n      trustStore: { anchors: [root] }', '      share: 0.4\n      trustStore: { anchors: [ghost] }']], ['line 38, column 31: fleet.cohorts[1].trustStore.anchors[0]: expected the name of an authority in pki.authorities, got "ghost"']],
    [
      'a pin that is neither an authority nor a server certificate',
      [['      share: 0.4\n      trustStore: { anchors: [root] }', '      share: 0.4\n      trustStore: { anchors: [root], pins: [nope] }']],
      ['line 38, column 45: fleet.cohorts[1].trustStore.pins[0]: expected the name of an authority or server certificate, got "nope"'],
    ],
    [
      'a renewal jitter that pushes the renewal point past the lifetime',
      [['      share: 0.4\n', '      share: 0.4\n      renewal: { at: 0.9, jitter: 0.2 }\n']],
      ['line 38, column 27: fleet.cohorts[1].renewal.jitter: expected renewal.at plus or minus jitter to stay within (0, 1]'],
    ],
    [
      'a retry cap below the first retry',
      [['      share: 0.4\n', '      share: 0.4\n      renewal: { retry: { initial: 1h, max: 10m } }\n']],
      ['line 38, column 40: fleet.cohorts[1].renewal.retry.max: expected max to be at least initial'],
    ],
    [
      'an outage as long as its period',
      [['      share: 0.4\n', '      share: 0.4\n      connectivity: { outages: [{ every: 1d, duration: 24h }] }\n']],
      ['line 38, column 46: fleet.cohorts[1].connectivity.outages[0].duration: expected an outage shorter than its period ("every")'],
    ],
    [
      'a manufacturing window that ends before it starts',
      [['    lifetime: 90d\n', '    lifetime: 90d\n    issued: { from: 2029-12-01T00:00:00Z, to: 2029-11-01T00:00:00Z }\n']],
      ['line 26, column 43: pki.deviceCertificates.issued.to: expected "to" to be later than or equal to "from"'],
    ],
    [
      'a timeline that ends before it starts (the event is then outside it too)',
      [['  end: 2030-03-01T00:00:00Z', '  end: 2029-03-01T00:00:00Z']],
      ['line 5, column 3: timeline.end: expected the end to be later than the start', 'line 41, column 5: events[0].at: expected a time within the timeline (start to end)'],
    ],
    [
      'a trust rollout that adds and removes nothing, for a cohort that does not exist',
      [['    use: broker\n', '    use: broker\n  - type: trust-rollout\n    at: 2030-02-01T00:00:00Z\n    cohorts: [c]\n']],
      ['line 43, column 5: events[1].add: expected at least one authority to add or remove', 'line 45, column 15: events[1].cohorts[0]: expected the name of a cohort in fleet.cohorts, got "c"'],
    ],
    ['a server-certificate event naming a missing certificate', [['    use: broker', '    use: other']], ['line 42, column 5: events[0].use: expected the name of a server certificate in pki.serverCertificates, got "other"']],
  ];

  it.each(rejected)('refuses %s', (_name, edits, problems) => {
    expect(problemsOf(edited(...edits))).toEqual(problems);
  });

  it('reference checks do not run while the schema has problems', () => {
    // The issuer "nowhere" would be a reference problem; the bad device count is a schema problem and hides it.
    expect(problemsOf(edited(['      issuer: root\n', '      issuer: nowhere\n'], ['  devices: 10', '  devices: -1']))).toEqual([
      'line 30, column 3: fleet.devices: expected a number >= 1, got -1',
    ]);
  });
});

describe('parseScenario with several problems', () => {
  it('reports every schema problem in a file at once, sorted by line', () => {
    const text = edited(
      ['name: tiny\n', 'name: tiny\ncolour: red\nsize: 3\n'],
      ['  devices: 10', '  devices: -3'],
      ['      share: 0.6', '      share: 1.5'],
      ['    lifetime: 90d', '    lifetime: soon'],
      ['      chain: [ca]\n', '      chain: [ca]\n      colour: red\n'],
    );
    const problems = problemsOf(text);
    expect(problems).toHaveLength(6);
    expect(problems).toEqual([
      `line 2, column 1: colour: ${UNKNOWN}`,
      `line 3, column 1: size: ${UNKNOWN}`,
      `line 25, column 7: pki.serverCertificates[0].colour: ${UNKNOWN}`,
      `line 28, column 5: pki.deviceCertificates.lifetime: ${DURATION_HINT}, got "soon"`,
      'line 33, column 3: fleet.devices: expected a number >= 1, got -3',
      `line 36, column 7: fleet.cohorts[0].share: ${FRACTION_RANGE}, got 1.5`,
    ]);
  });

  it('reports every reference problem in a file at once', () => {
    const text = edited(
      ['      issuer: root\n', '      issuer: nowhere\n'],
      ['      share: 0.4', '      share: 0.3'],
      ['    at: 2030-02-01T00:00:00Z', '    at: 2031-02-01T00:00:00Z'],
    );
    expect(problemsOf(text)).toEqual([
      'line 14, column 7: pki.authorities[1].issuer: expected the name of an authority in pki.authorities, got "nowhere"',
      'line 31, column 3: fleet.cohorts: expected cohort shares that add up to 1, got 0.9',
      'line 41, column 5: events[0].at: expected a time within the timeline (start to end)',
    ]);
  });

  it('sorts messages by line even when the file lists keys in another order than the schema', () => {
    // `name` is first in the schema but last in this file; `timeline.start` comes before it in the file.
    const text = edited(['name: tiny\n', ''], ['    use: broker\n', '    use: broker\nname: Bad\n'], ['  start: 2030-01-01T00:00:00Z', '  start: yesterday']);
    expect(problemsOf(text)).toEqual([
      `line 3, column 3: timeline.start: ${START_HINT}, got "yesterday"`,
      'line 42, column 1: name: expected a name of lower-case letters, digits, ".", "_" and "-"',
    ]);
  });

  it('sorts two problems on one line by column', () => {
    const text = edited(['      clock: { driftPpm: { min: -20, max: 20 } }', '      clock: { offset: soon, driftPpm: fast }']);
    expect(problemsOf(text)).toEqual([
      `line 35, column 16: fleet.cohorts[0].clock.offset: ${DURATION_HINT}, got "soon"`,
      'line 35, column 30: fleet.cohorts[0].clock.driftPpm: expected a number or a range { min, max }, got "fast"',
    ]);
  });

  it('the error message names the file and counts the problems, one per indented line', () => {
    let caught: unknown;
    try {
      parseScenario(edited(['  devices: 10', '  devices: -3'], ['      share: 0.6', '      share: 1.5']), 'fleet/bad.yaml');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ScenarioError);
    const error = caught as ScenarioError;
    expect(error.name).toBe('ScenarioError');
    expect(error.file).toBe('fleet/bad.yaml');
    expect(error.message).toBe(
      'fleet/bad.yaml: 2 problems\n' +
        '  line 30, column 3: fleet.devices: expected a number >= 1, got -3\n' +
        `  line 33, column 7: fleet.cohorts[0].share: ${FRACTION_RANGE}, got 1.5`,
    );
  });
});

describe('parseScenario on YAML syntax errors', () => {
  it('a duplicate key is a YAML error that reports its line', () => {
    expect(problemsOf(edited(['name: tiny\n', 'name: tiny\nname: again\n']))).toEqual(['line 2, column 1: YAML: Map keys must be unique']);
  });

  it('an unclosed flow sequence is a YAML error that reports its line', () => {
    const problems = problemsOf(edited(['  devices: 10', '  devices: [10']));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toBe('line 31, column 3: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]');
  });

  it('every YAML error message starts with "YAML:" after its location', () => {
    const problems = problemsOf('name: tiny\ndescription: "unterminated\n');
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p).toMatch(/^line \d+, column \d+: YAML: \S/);
  });
});

describe('loadScenario on files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-scenario-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing file reports "no such file" and names the file', () => {
    const file = join(dir, 'missing.yaml');
    expect(() => loadScenario(file)).toThrow(ScenarioError);
    try {
      loadScenario(file);
    } catch (error) {
      expect((error as ScenarioError).problems).toEqual(['no such file']);
      expect((error as ScenarioError).file).toBe(file);
      expect((error as ScenarioError).message).toBe(`${file}: 1 problem\n  no such file`);
    }
  });

  it('a folder given as the scenario is refused as a folder', () => {
    expect(() => loadScenario(dir)).toThrow(expect.objectContaining({ problems: ['a folder, expected a file'] }));
  });

  it('a file on disk with a problem names the file path in the error', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, edited(['  devices: 10', '  devices: -3']));
    expect(() => loadScenario(file)).toThrow(
      expect.objectContaining({ file, problems: ['line 30, column 3: fleet.devices: expected a number >= 1, got -3'] }),
    );
  });

  it('a valid file on disk loads with the sha256 of its text', () => {
    const file = join(dir, 'tiny.yaml');
    writeFileSync(file, BASE);
    const loaded = loadScenario(file);
    expect(loaded.scenario.name).toBe('tiny');
    expect(loaded.sha256).toBe(createHash('sha256').update(BASE).digest('hex'));
  });
});
