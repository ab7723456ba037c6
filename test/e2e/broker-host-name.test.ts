/**
 * Where a device dials and the name it checks are two things: devices dial the broker target's address (the
 * embedded broker on 127.0.0.1) and check the server certificate for the scenario's host name (broker.host, or
 * their cohort's connectivity.host), as a device dials the address DNS gave it for that name (RFC 6125).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { runCli } from '../support/cli.js';
import { readEventLines } from '../support/event-lines.js';
import { writeScenarioFile, type TextEdit } from '../support/scenario-file.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

const work = mkdtempSync(join(tmpdir(), 'certfleet-host-name-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Four days of the tiny scenario, its broker named mqtt.example.com, and the edits; the run's summary and connects. */
function run(name: string, ...edits: TextEdit[]) {
  const file = writeScenarioFile(
    work,
    `${name}.yaml`,
    TINY_SCENARIO,
    ['  end: 2030-03-01T00:00:00Z\n', '  end: 2030-01-05T00:00:00Z\n'],
    ['broker:\n  serverCertificate: broker\n', 'broker:\n  serverCertificate: broker\n  host: mqtt.example.com\n'],
    ...edits,
  );
  const out = join(work, name);
  const result = runCli(['run', file, '--out', out, '--quiet', '--no-report', '--workers', '1']);
  expect(result.status === 0 || result.status === 3, result.stderr).toBe(true);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
  const connects = readEventLines(join(out, 'events.ndjson')).filter((e) => e.type === 'device.connect');
  return { summary, connects };
}

/** The broker's server certificate names only mqtt.example.com. */
const NAMES_THE_HOST: TextEdit = ['    - name: broker\n      issuer: server-ca\n', '    - name: broker\n      issuer: server-ca\n      hosts: [mqtt.example.com]\n'];

describe('devices dial the target\'s address and check the scenario\'s host name', () => {
  it('a device checking mqtt.example.com connects to the embedded broker at 127.0.0.1 whose certificate names mqtt.example.com', () => {
    const { summary, connects } = run('names-the-host', NAMES_THE_HOST);
    expect(connects.length).toBeGreaterThanOrEqual(4);
    expect(connects.every((c) => c.cause === 'ok')).toBe(true);
    expect(summary.failures.byCause).toEqual({});
  });

  it('a certificate that does not name the host still fails every device with hostname_mismatch', () => {
    // The default names: localhost and 127.0.0.1, the address the devices dial, but not the name they check.
    const { summary, connects } = run('default-names');
    expect(connects.length).toBeGreaterThanOrEqual(4);
    expect(new Set(connects.map((c) => c.cause))).toEqual(new Set(['hostname_mismatch']));
    expect(summary.failures.byCause['device:hostname_mismatch']?.devices).toBe(4);
  });

  it('a cohort checking another name (connectivity.host) fails while the rest connect', () => {
    const { summary } = run('cohort-name', NAMES_THE_HOST, [
      '      connectivity: { reconnectEvery: 10d }\n',
      '      connectivity: { reconnectEvery: 10d, host: other.example.com }\n',
    ]);
    expect(summary.failures.byCohort.other?.['device:hostname_mismatch']?.devices).toBe(2);
    expect(summary.failures.byCohort.steady ?? {}).toEqual({});
  });
});
