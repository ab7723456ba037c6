import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopics } from '../../sim/device-api/topics.js';
import { startStandaloneBroker, type StandaloneBroker } from '../../sim/run/standalone-broker.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { tinyScenario } from '../support/tiny-scenario.js';
import { SECOND } from '../support/time.js';

const START = Date.parse('2030-01-01T00:00:00Z');
const root = mkdtempSync(join(tmpdir(), 'certfleet-faketime-client-'));
const dir = join(root, 'export');
const files = join(root, 'client');
let broker: StandaloneBroker;
let device: string;
let leaf: ParsedCertificate;

beforeAll(async () => {
  broker = await startStandaloneBroker({
    loaded: { file: 'tiny.yaml', scenario: tinyScenario(), sha256: '', warnings: [] },
    dir,
    devices: 2,
    speed: 0,
    port: 0,
    timeClaims: 'ignore',
  });
  const pool = new CertificatePool();
  const leaves = broker.plan.devices.map((d) => ({ id: d.id, leaf: pool.parsePem(broker.credentials[d.id]?.certificatePem ?? '')[0] as ParsedCertificate }));
  const chosen = leaves.find((d) => d.leaf.notBefore <= START);
  if (!chosen) throw new Error('no device certificate valid at the timeline\'s start');
  ({ id: device, leaf } = chosen);
  const credentials = broker.credentials[device];
  mkdirSync(files);
  writeFileSync(join(files, 'key.pem'), credentials?.keyPem ?? '');
  writeFileSync(join(files, 'cert.pem'), (credentials?.certificatePem ?? '') + (credentials?.chainPems.join('') ?? ''));
  // What both cohorts of the tiny scenario trust.
  writeFileSync(join(files, 'ca.pem'), broker.pki.certificates['server-root'] ?? '');
});

afterAll(async () => {
  await broker.close();
});

/**
 * Debian's mosquitto_pub as a device, publishing a sync request (which the broker serves at its own clock), under
 * libfaketime following DIR/clock.faketime, or at the host's clock.
 */
async function publish(underFaketime: boolean): Promise<{ ok: boolean; stderr: string }> {
  const env = underFaketime
    ? {
        ...process.env,
        // As broker.json's clock.followWith and docs/standalone-broker.md write it.
        TZ: 'UTC',
        LD_PRELOAD: '/usr/$LIB/faketime/libfaketime.so.1',
        FAKETIME_TIMESTAMP_FILE: broker.info.clock.file,
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      }
    : process.env;
  const args = ['-h', 'localhost', '-p', String(broker.info.port), '--cafile', join(files, 'ca.pem'), '--cert', join(files, 'cert.pem'), '--key', join(files, 'key.pem')];
  args.push('-i', device, '-q', '1', '-t', deviceTopics(device).syncRequest, '-m', '{"t": 0}');
  try {
    const { stderr } = await promisify(execFile)('mosquitto_pub', args, { env, timeout: 30_000 });
    return { ok: true, stderr };
  } catch (error) {
    return { ok: false, stderr: String((error as { stderr?: string }).stderr ?? (error as Error).message) };
  }
}

describe('a client run under libfaketime with the broker\'s clock file', () => {
  it('is told how in broker.json', () => {
    expect(broker.info.clock.followWith).toBe(
      `TZ=UTC LD_PRELOAD='/usr/$LIB/faketime/libfaketime.so.1' FAKETIME_TIMESTAMP_FILE=${broker.info.clock.file} FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1`,
    );
  });

  it('checks the broker\'s chain at the broker\'s time: the server certificate, valid from 2029, fails at the host\'s clock', async () => {
    const atHost = await publish(false);
    expect(atHost.ok).toBe(false);
    // mosquitto_pub says only "A TLS error occurred": the same command under libfaketime, with nothing else
    // changed, connects and publishes.
    expect(atHost.stderr).toMatch(/TLS error|certificate verify failed/i);
    expect(await publish(true)).toMatchObject({ ok: true });
  });

  it('is admitted before its certificate\'s notAfter and refused (not authorised) once the clock passes it', async () => {
    await broker.clock.move({ at: leaf.notAfter - 10 * SECOND });
    expect(await publish(true)).toMatchObject({ ok: true });
    await broker.clock.move({ at: leaf.notAfter + 2 * SECOND });
    const refused = await publish(true);
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toMatch(/not authori[sz]ed/i);
    // The broker's cause, in the decision log (written as it goes).
    const refusals = () =>
      readFileSync(join(dir, 'decisions.ndjson'), 'utf8')
        .split('\n')
        .filter((line) => line.includes('"broker.admission"') && !line.includes('"cause":"ok"'));
    for (let i = 0; i < 100 && refusals().length === 0; i += 1) await sleep(50);
    expect(refusals().map((line) => JSON.parse(line) as object)).toEqual([
      expect.objectContaining({ device, cause: 'expired_leaf', t: leaf.notAfter + 2 * SECOND }),
    ]);
  });
});
