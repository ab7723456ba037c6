import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { startBrokerCli, type BrokerCli } from '../support/broker-cli.js';
import { runCli, startCli } from '../support/cli.js';
import { closeDevice, connectDevice, deviceIdentity } from '../support/mqtt-device.js';
import { writeScenarioFile } from '../support/scenario-file.js';
import { TINY_SCENARIO, tinyScenario } from '../support/tiny-scenario.js';
import { DAY } from '../support/time.js';

const AT = '2030-01-15T00:00:00.000Z';
const root = mkdtempSync(join(tmpdir(), 'certfleet-broker-cli-'));
const scenarioFile = writeScenarioFile(root, 'tiny.yaml', TINY_SCENARIO);
let broker: BrokerCli;

beforeAll(async () => {
  broker = await startBrokerCli(scenarioFile, join(root, 'session'), ['--at', AT, '--devices', '3']);
}, 90_000);

afterAll(async () => {
  await broker.stop('SIGKILL').catch(() => undefined);
});

const clock = (...args: string[]) => runCli(['clock', broker.dir, ...args], { timeoutMs: 30_000 });

describe('certfleet broker, as a user starts it', () => {
  it('prints where it listens and how to move its clock, and writes the same in broker.json', () => {
    expect(broker.info).toMatchObject({ host: '127.0.0.1', serverName: 'localhost', timeClaims: 'ignore', clock: { time: AT, speed: 'frozen' } });
    expect(broker.info.port).toBeGreaterThan(0);
    expect(broker.info.identities.map((d) => d.id)).toEqual(['device-00000', 'device-00001', 'device-00002']);
    expect(readFileSync(join(broker.dir, 'clock.faketime'), 'utf8')).toBe('2030-01-15 00:00:00\n');
  });

  it('moves its clock with certfleet clock, which prints the new time, and the clock file follows', () => {
    const read = clock();
    expect(read.status).toBe(0);
    expect(read.stdout).toBe(`${AT} frozen\n`);
    const moved = clock('--advance', '90s');
    expect(moved.stdout).toBe('2030-01-15T00:01:30.000Z frozen\n');
    expect(readFileSync(join(broker.dir, 'clock.faketime'), 'utf8')).toBe('2030-01-15 00:01:30\n');
  });

  it('runs the clock at a rate once asked, and the clock file follows it', async () => {
    expect(clock('--at', '2030-01-20T12:00:00Z', '--speed', '1h/s').stdout).toMatch(/^2030-01-20T12:00:00\.\d{3}Z 1h\/s\n$/);
    // Eventually (not within any time): the broker's ticks rewrite the file as the clock runs.
    for (let i = 0; i < 200 && readFileSync(join(broker.dir, 'clock.faketime'), 'utf8') === '2030-01-20 12:00:00\n'; i += 1) await sleep(50);
    expect(readFileSync(join(broker.dir, 'clock.faketime'), 'utf8')).toMatch(/^2030-01-2\d \d\d:\d\d:\d\d\n$/);
    expect(readFileSync(join(broker.dir, 'clock.faketime'), 'utf8')).not.toBe('2030-01-20 12:00:00\n');
    const frozen = clock('--at', AT, '--speed', 'frozen');
    expect(frozen.stdout).toBe(`${AT} frozen\n`);
  });

  it('admits a client with its exported credentials before the certificate\'s notAfter, and refuses it with CONNACK 5 after', async () => {
    const exported = broker.info.identities.find((d) => Date.parse(d.notAfter) > Date.parse(AT));
    if (!exported) throw new Error('no exported identity outlives the start');
    const files = join(broker.dir, exported.folder);
    const identity = { key: readFileSync(join(files, 'key.pem'), 'utf8'), cert: readFileSync(join(files, 'fullchain.pem'), 'utf8') };
    const notAfter = Date.parse(exported.notAfter);
    expect(clock('--at', new Date(notAfter - 60_000).toISOString()).status).toBe(0);
    const before = await connectDevice(broker.info, identity, { clientId: exported.clientId });
    expect(before.ok).toBe(true);
    if (before.ok) await closeDevice(before.client);
    expect(clock('--at', new Date(notAfter + 1000).toISOString()).status).toBe(0);
    expect(await connectDevice(broker.info, identity, { clientId: exported.clientId })).toMatchObject({ ok: false, returnCode: 5 });
    expect(clock('--at', AT).stdout).toBe(`${AT} frozen\n`);
  });

  it('refuses a client whose certificate another CA issued with CONNACK 5, and logs the decision', async () => {
    const stranger = buildScenarioPki(tinyScenario(), 7);
    const t = Date.parse(AT);
    const outcome = await connectDevice(broker.info, deviceIdentity(stranger, 'device-00000', { notBefore: t - DAY, notAfter: t + DAY }), { clientId: 'device-00000' });
    expect(outcome).toMatchObject({ ok: false, returnCode: 5 });
    // One line on stderr, at the broker's clock, naming the client (docs/standalone-broker.md has the format).
    const logged = () => broker.stderr().split('\n').find((line) => line.startsWith('2030-01-15T00:00:00') && line.includes('device-00000'));
    for (let i = 0; i < 100 && !logged(); i += 1) await sleep(50);
    expect(logged()).toBeDefined();
  });

  it('refuses a bad clock move with exit 2 and one line per problem, and a folder that holds no broker', () => {
    const result = clock('--at', 'soon', '--advance', 'later', '--speed', 'max');
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'certfleet: --at, --advance: give one of them, not both',
      expect.stringMatching(/^certfleet: --at: expected a UTC time/),
      expect.stringMatching(/^certfleet: --advance: expected a duration/),
      expect.stringMatching(/^certfleet: --speed: expected a rate/),
    ]);
    const nowhere = runCli(['clock', root]);
    expect(nowhere.status).toBe(2);
    expect(nowhere.stderr).toBe(`certfleet: ${join(root, 'broker.json')}: not found: expected the folder of a running \`certfleet broker\` (its --export folder)\n`);
  });

  it('stops on Ctrl-C with exit 0, leaving broker.json and the decision log readable', async () => {
    const result = await broker.stop('SIGINT');
    expect(result.status).toBe(0);
    const written = JSON.parse(readFileSync(join(broker.dir, 'broker.json'), 'utf8')) as { stoppedAt?: string; port: number };
    expect(written).toMatchObject({ port: broker.info.port, stoppedAt: expect.any(String) });
    const decisions = readFileSync(join(broker.dir, 'decisions.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; cause?: string });
    expect(decisions).toContainEqual(expect.objectContaining({ type: 'broker.admission', device: 'device-00000', t: Date.parse(AT), cause: expect.not.stringMatching(/^ok$/) }));
    // certfleet report draws the session from the folder it left.
    const report = runCli(['report', broker.dir]);
    expect(report.status).toBe(0);
    expect(readFileSync(join(broker.dir, 'report.html'), 'utf8')).toContain('device-00000');
    const after = clock();
    expect(after.status).toBe(1);
    expect(after.stderr).toMatch(/^certfleet: the broker of .* is not running: cannot reach http:\/\/127\.0\.0\.1:\d+\/clock \(ECONNREFUSED\)\n$/);
  });
});

describe('certfleet broker under a service manager', () => {
  it('reuses the CA of an earlier session with --ca, so its exported credentials are still admitted, and stops on SIGTERM with exit 0', async () => {
    const second = await startBrokerCli(scenarioFile, join(root, 'terminated'), ['--ca', broker.dir, '--at', AT, '--speed', '1d/s']);
    const earlier = broker.info.identities.find((d) => Date.parse(d.notAfter) > Date.parse(AT) + 2 * DAY);
    if (!earlier) throw new Error('no identity of the first session outlives its start by two days');
    const files = join(broker.dir, earlier.folder);
    const identity = { key: readFileSync(join(files, 'key.pem'), 'utf8'), cert: readFileSync(join(files, 'fullchain.pem'), 'utf8') };
    const admitted = await connectDevice(second.info, identity, { clientId: earlier.clientId });
    expect(admitted.ok).toBe(true);
    if (admitted.ok) await closeDevice(admitted.client);
    const result = await second.stop('SIGTERM');
    expect(result.status).toBe(0);
    expect(JSON.parse(readFileSync(join(second.dir, 'broker.json'), 'utf8'))).toMatchObject({ clock: { speed: '1d/s' }, stoppedAt: expect.any(String) });
  }, 90_000);
});

describe('certfleet broker --broker mosquitto', () => {
  it('puts a real Mosquitto on the same clock: an exported client is admitted before its notAfter and refused in the handshake after', async () => {
    const mosquitto = await startBrokerCli(scenarioFile, join(root, 'mosquitto'), ['--broker', 'mosquitto', '--at', AT, '--devices', '2']);
    try {
      expect(mosquitto.info.broker.target).toBe('mosquitto');
      const exported = mosquitto.info.identities.find((d) => Date.parse(d.notAfter) > Date.parse(AT));
      if (!exported) throw new Error('no exported identity outlives the start');
      const files = join(mosquitto.dir, exported.folder);
      const identity = { key: readFileSync(join(files, 'key.pem'), 'utf8'), cert: readFileSync(join(files, 'fullchain.pem'), 'utf8') };
      const move = (at: number) => runCli(['clock', mosquitto.dir, '--at', new Date(at).toISOString()], { timeoutMs: 30_000 });
      expect(move(Date.parse(exported.notAfter) - 60_000).status).toBe(0);
      const before = await connectDevice(mosquitto.info, identity, { clientId: exported.clientId });
      expect(before.ok).toBe(true);
      if (before.ok) await closeDevice(before.client);
      expect(move(Date.parse(exported.notAfter) + 2000).status).toBe(0);
      expect(await connectDevice(mosquitto.info, identity, { clientId: exported.clientId })).toMatchObject({ ok: false });
    } finally {
      expect((await mosquitto.stop('SIGINT')).status).toBe(0);
    }
  }, 90_000);
});

describe('certfleet broker refuses what it cannot do, in one line with exit 2', () => {
  it('refuses --broker external, a bad --at, --speed max, --devices 0 and a port beyond 65535, one line each', () => {
    const args = ['--broker', 'external', '--at', '2030-02-30', '--speed', 'max', '--devices', '0', '--port', '70000'];
    const result = runCli(['broker', scenarioFile, '--export', join(root, 'refused'), ...args]);
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^certfleet: --broker external: the standalone broker runs a broker of its own; expected embedded or mosquitto$/),
      'certfleet: --at: expected a UTC time such as "2030-01-01T00:00:00Z", got "2030-02-30"',
      expect.stringMatching(/^certfleet: --speed: expected a rate/),
      expect.stringMatching(/^certfleet: --devices: expected a whole number from 1 to 1000/),
      expect.stringMatching(/^certfleet: --port: expected a whole number from 0 to 65,535/),
    ]);
  });

  it('listens on the address --listen names, and only there: a client dialling it is admitted, one dialling 127.0.0.1 finds nothing', async () => {
    // 127.0.0.2 is loopback too (127.0.0.0/8), but another address than 127.0.0.1: what a LAN address is to a device.
    const listening = await startBrokerCli(scenarioFile, join(root, 'listen'), ['--listen', '127.0.0.2', '--at', AT, '--devices', '3']);
    try {
      expect(listening.info).toMatchObject({ listen: '127.0.0.2', host: '127.0.0.2' });
      const exported = listening.info.identities.find((d) => Date.parse(d.notAfter) > Date.parse(AT));
      if (!exported) throw new Error('no exported identity outlives the start');
      const files = join(listening.dir, exported.folder);
      const identity = { key: readFileSync(join(files, 'key.pem'), 'utf8'), cert: readFileSync(join(files, 'fullchain.pem'), 'utf8') };
      const admitted = await connectDevice(listening.info, identity, { clientId: exported.clientId });
      expect(admitted.ok).toBe(true);
      if (admitted.ok) await closeDevice(admitted.client);
      const elsewhere = await connectDevice({ host: '127.0.0.1', port: listening.info.port }, identity, { clientId: exported.clientId });
      expect(elsewhere).toMatchObject({ ok: false, returnCode: undefined, message: expect.stringContaining('ECONNREFUSED') });
    } finally {
      expect((await listening.stop()).status).toBe(0);
    }
  });

  it('refuses a --listen that is not an IP address, in one line', () => {
    const result = runCli(['broker', scenarioFile, '--export', join(root, 'listen-refused'), '--listen', 'broker.example']);
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'certfleet: --listen: expected an IP address of this host to listen on (127.0.0.1, 0.0.0.0, 192.0.2.10, ::), got "broker.example"',
    ]);
  });

  it('refuses a port another program holds, naming --port, and exits rather than hang', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    const result = await startCli(['broker', scenarioFile, '--export', join(root, 'taken'), '--port', String(port)]);
    holder.close();
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`certfleet: --port ${port}: cannot listen on 127.0.0.1:${port} (EADDRINUSE); choose another port, or 0 for any free one\n`);
  });

  it('refuses an export folder that is not empty, naming it', () => {
    const full = join(root, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'notes.txt'), 'mine\n');
    const result = runCli(['broker', scenarioFile, '--export', full]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^certfleet: --export .*full: the folder is not empty \(notes\.txt\)/);
  });

  it('refuses a --ca folder that holds no CA, naming it, and creates no export folder', () => {
    const result = runCli(['broker', scenarioFile, '--ca', root, '--export', join(root, 'no-ca')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`certfleet: ${root}: no pki.json in ${join(root, 'ca')} or ${root}`);
    expect(existsSync(join(root, 'no-ca'))).toBe(false);
  });

  it('refuses a scenario whose broker.target is external', () => {
    const external = writeScenarioFile(root, 'external.yaml', TINY_SCENARIO, ['broker:\n', 'broker:\n  target: external\n  external: { host: broker.example, port: 8883, caFile: ca.pem, backend: { certificateFile: b.pem, keyFile: b.key } }\n']);
    const result = runCli(['broker', external, '--export', join(root, 'external')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/broker\.(target|external)/);
  });

  it('refuses a scenario the chosen target cannot carry out, naming the field', () => {
    const limited = writeScenarioFile(root, 'limited.yaml', TINY_SCENARIO, ['  deviceAuthorities: [device-root]\n', '  deviceAuthorities: [device-root]\n  limits: { connectsPerSecond: 5 }\n']);
    const result = runCli(['broker', limited, '--broker', 'mosquitto', '--export', join(root, 'limited')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/broker\.limits\.connectsPerSecond: --broker mosquitto cannot do this/);
  });
});
