import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../sim/results/manifest.js';
import { runCli } from '../support/cli.js';
import { writeScenarioFile } from '../support/scenario-file.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

const root = mkdtempSync(join(tmpdir(), 'certfleet-run-listen-'));
const scenarioFile = writeScenarioFile(root, 'tiny.yaml', TINY_SCENARIO);
let holder: Server;
let heldPort: number;

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  heldPort = (holder.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => holder.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

describe('certfleet run refuses where its broker cannot listen, in one line with exit 2, before writing anything', () => {
  it('refuses a --broker-port another program holds, naming the flag', () => {
    const out = join(root, 'held');
    const result = runCli(['run', scenarioFile, '--broker-port', String(heldPort), '--out', out, '--quiet']);
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `certfleet: --broker-port: cannot listen on 127.0.0.1:${heldPort} (EADDRINUSE); choose another port, or 0 for any free one`,
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a --listen that is no IP address and an --advertise that is no host name, one line each', () => {
    const result = runCli(['run', scenarioFile, '--listen', 'broker.example', '--advertise', 'not a host', '--broker-port', '70000', '--out', join(root, 'bad'), '--quiet']);
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'certfleet: --broker-port: expected a whole number from 0 to 65,535 (a TCP port; 0 picks a free one), got 70000',
      'certfleet: --listen: expected an IP address of this host to listen on (127.0.0.1, 0.0.0.0, 192.0.2.10, ::), got "broker.example"',
      'certfleet: --advertise: expected a host name such as "broker.example" or an IPv4 address that device agents on other hosts dial, got "not a host"',
    ]);
  });

  it('refuses broker.listen in the scenario on a port in use, naming the file and the field', () => {
    const held = writeScenarioFile(root, 'held.yaml', TINY_SCENARIO, ['broker:\n', `broker:\n  listen: { address: 127.0.0.1, port: ${heldPort} }\n`]);
    const result = runCli(['run', held, '--out', join(root, 'held-scenario'), '--quiet']);
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `certfleet: ${held}: broker.listen.port: cannot listen on 127.0.0.1:${heldPort} (EADDRINUSE); choose another port, or 0 for any free one`,
    ]);
  });

  it('listens on the scenario\'s broker.listen, and --listen overrides it', () => {
    const listening = writeScenarioFile(root, 'listen.yaml', TINY_SCENARIO, ['broker:\n', 'broker:\n  listen: { address: 127.0.0.3 }\n']);
    const fromScenario = runCli(['run', listening, '--out', join(root, 'scenario-listen'), '--quiet', '--no-report']);
    expect(fromScenario.status).toBe(0);
    const overridden = runCli(['run', listening, '--listen', '127.0.0.4', '--out', join(root, 'flag-listen'), '--quiet', '--no-report']);
    expect(overridden.status).toBe(0);
    const listenOf = (dir: string) => (JSON.parse(readFileSync(join(root, dir, 'manifest.json'), 'utf8')) as RunManifest).broker.listen;
    expect(listenOf('scenario-listen')).toMatchObject({ address: '127.0.0.3', dial: '127.0.0.3', advertise: '127.0.0.3' });
    expect(listenOf('flag-listen')).toMatchObject({ address: '127.0.0.4', dial: '127.0.0.4', advertise: '127.0.0.4' });
  });
});
