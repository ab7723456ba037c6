/**
 * A client whose clock is behind rejects a fresh server certificate as the scenario predicts: `certfleet run` of
 * test/fixtures/scenarios/client-clock-behind.yaml predicts that the cohort three days behind refuses the broker's
 * chain after the switch to a certificate issued at the switch (not yet valid at its clock); then Debian's
 * `openssl s_client` and `mosquitto_pub`, run from the exported commands.sh under libfaketime three days behind
 * `certfleet broker`'s clock, refuse the same chain for the same cause, and the broker logs their alerts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFaketimeClock } from '../../broker/mosquitto/faketime-clock.js';
import { causeFromTlsAlert } from '../../sim/tls/alert-causes.js';
import { startBrokerCli, type BrokerCli } from '../support/broker-cli.js';
import { runCli } from '../support/cli.js';
import { readEventLines, type DeviceEventLine, type EventLine } from '../support/event-lines.js';
import { runProgram } from '../support/run-program.js';
import { DAY, HOUR } from '../support/time.js';

const SCENARIO = fileURLToPath(new URL('../fixtures/scenarios/client-clock-behind.yaml', import.meta.url));
/** The scenario's `server-certificate` event: the broker serves `broker-fresh` (notBefore = this) from here on. */
const SWITCH = Date.parse('2030-01-15T00:00:00Z');
/** The `behind` cohort's clock offset (`clock.offset: -3d`). */
const BEHIND = -3 * DAY;
/** When the real clients dial: after the switch, and less than three days after it. */
const AT = SWITCH + 6 * HOUR;

const root = mkdtempSync(join(tmpdir(), 'certfleet-clock-behind-'));
let broker: BrokerCli;
let folder: string;
/** The exported device of the behind cohort. */
let deviceId: string;

/** A refused connect in the run's events.ndjson: the device's verdict on the broker's chain. */
type PredictedConnect = DeviceEventLine & { certificateCause?: string; clockSkewMs?: number; failed?: string };
let summary: { failures: { byCohort: Record<string, Record<string, unknown>> } };
let predicted: PredictedConnect[];

beforeAll(async () => {
  // The prediction: certfleet run of the same scenario, small fleet, seed fixed.
  const out = join(root, 'run');
  const run = runCli(['run', SCENARIO, '--out', out, '--seed', '11', '--devices', '4', '--workers', '1', '--quiet'], { timeoutMs: 60_000 });
  if (run.status !== 0) throw new Error(`certfleet run failed (${run.status}):\n${run.stderr}`);
  summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as typeof summary;
  predicted = readEventLines<PredictedConnect>(join(out, 'events.ndjson')).filter((e) => e.type === 'device.connect' && e.cause !== 'ok');

  broker = await startBrokerCli(SCENARIO, join(root, 'session'), ['--at', new Date(AT).toISOString(), '--devices', '4']);
  const device = broker.info.identities.find((identity) => identity.cohort === 'behind');
  if (!device) throw new Error('the session exported no device of the behind cohort');
  folder = join(broker.dir, device.folder);
  deviceId = device.id;
  // The device's own clock: the broker's, minus the cohort's offset, in libfaketime's timestamp-file format.
  writeFaketimeClock(join(root, 'device-clock.faketime'), AT + BEHIND);
}, 90_000);

afterAll(async () => {
  await broker?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** commands.sh of the exported device, run as it is (the at-broker-clock commands), or under a clock of its own. */
function commands(command: string, clockFile?: string) {
  const env = clockFile
    ? {
        ...process.env,
        // As docs/standalone-broker.md writes it, with the device's own clock file instead of the broker's.
        TZ: 'UTC',
        LD_PRELOAD: '/usr/$LIB/faketime/libfaketime.so.1',
        FAKETIME_TIMESTAMP_FILE: clockFile,
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      }
    : process.env;
  return runProgram('sh', [join(folder, 'commands.sh'), command, ...(command.startsWith('s_client') ? ['-brief'] : [])], { env, timeoutMs: 20_000 });
}

/** The broker's failed handshakes so far, from its decision log (written as it goes). */
const tlsFailures = () => readEventLines<EventLine & { alert?: string }>(join(broker.dir, 'decisions.ndjson')).filter((e) => e.type === 'broker.tls-failure');

describe('a client whose clock is behind the broker\'s, after the broker switches to a certificate issued at the switch', () => {
  it('is predicted by certfleet run: the behind cohort refuses the broker\'s chain as not yet valid, and only after the switch', () => {
    expect(Object.keys(summary.failures.byCohort.behind ?? {})).toEqual(['device:not_yet_valid_clock_behind']);
    expect(summary.failures.byCohort.synced).toEqual({});
    expect(predicted.length).toBeGreaterThan(0);
    expect(predicted.every((e) => e.cohort === 'behind' && e.t >= SWITCH && e.t < SWITCH - BEHIND)).toBe(true);
    for (const refusal of predicted) {
      expect(refusal).toMatchObject({ cause: 'not_yet_valid_clock_behind', certificateCause: 'not_yet_valid', clockSkewMs: BEHIND, failed: 'localhost' });
    }
  });

  it('connects from the exported commands at the broker\'s clock', async () => {
    const sClient = await commands('s_client-at-broker-clock');
    expect(sClient.stderr).toContain('Verification: OK');
    expect(await commands('pub-at-broker-clock')).toMatchObject({ status: 0, stderr: '' });
  });

  it('refuses the fresh certificate with openssl and mosquitto_pub three days behind, for the cause certfleet predicted, and the broker logs their alerts', async () => {
    // The session plans the fleet as the run did (same seed): this device is one the run predicted refusals for.
    expect(new Set(predicted.map((e) => e.device))).toContain(deviceId);
    const before = tlsFailures().length;
    const clock = join(root, 'device-clock.faketime');
    const sClient = await commands('s_client', clock);
    expect(sClient.status).not.toBe(0);
    expect(sClient.stderr).toContain('certificate is not yet valid');
    const pub = await commands('pub', clock);
    expect(pub.status).not.toBe(0);
    expect(pub.stdout + pub.stderr).toMatch(/TLS error|certificate verify failed/i);

    // Both clients told the broker why, with a TLS alert (RFC 8446 6.2); the broker's log has one line for each.
    let failures = tlsFailures().slice(before);
    for (let i = 0; i < 100 && failures.length < 2; i += 1) {
      await sleep(50);
      failures = tlsFailures().slice(before);
    }
    expect(failures).toHaveLength(2);
    for (const failure of failures) {
      // OpenSSL sends bad_certificate for X509_V_ERR_CERT_NOT_YET_VALID (ssl_verify_alarm_type).
      expect(failure).toMatchObject({ t: AT, alert: 'tls-alert:42 bad_certificate' });
      const alert = Number(/^tls-alert:(\d+) /.exec(failure.alert ?? '')?.[1]);
      // The real client's verdict, read from its alert, is the certificate cause certfleet predicted for the cohort.
      expect(causeFromTlsAlert(alert).cause).toBe(predicted[0]?.certificateCause);
    }
  });
});
