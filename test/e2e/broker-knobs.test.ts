import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';
import { readEventLines } from '../support/event-lines.js';

/** Runs a variant of the tiny scenario in this process over real TLS; returns its summary and events. */
async function run(text: string, devices: number) {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-knobs-'));
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, text);
  const { summary } = await runScenario({ loaded: loadScenario(file), devices, outDir: join(dir, 'run'), workers: 1 });
  const events = readEventLines(join(dir, 'run', 'events.ndjson'));
  const audits = readFileSync(join(dir, 'run', 'audits.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { time: string; check: string; resources: string[] });
  return { summary, events, audits };
}

const T0 = Date.parse('2030-01-01T00:00:00Z');
const withBroker = (extra: string) => TINY_SCENARIO.replace('  deviceAuthorities: [device-root]\n', `  deviceAuthorities: [device-root]\n${extra}`);
const withEvents = (text: string, events: string) => `${text}events:\n${events}`;
/** Every cohort retries a lost session or a refused connect every 5 simulated seconds. */
const fixedRetry = (text: string) =>
  text
    .replace('      trustStore: { anchors: [server-root] }\n', '      trustStore: { anchors: [server-root] }\n      connectivity: { retry: { policy: fixed, initial: 5s } }\n')
    .replace('      connectivity: { reconnectEvery: 10d }\n', '      connectivity: { reconnectEvery: 10d, retry: { policy: fixed, initial: 5s } }\n');

describe('a broker restart at a simulated time', () => {
  it('drops every session, refuses CONNECTs while down and lets devices back in after their backoff', async () => {
    const restartAt = Date.parse('2030-01-10T00:00:00Z');
    const { summary, events } = await run(
      withEvents(fixedRetry(TINY_SCENARIO), '  - { type: broker-restart, at: 2030-01-10T00:00:00Z, downFor: 12s }\n'),
      6,
    );
    expect(events.filter((e) => e.type === 'broker.restart')).toHaveLength(1);
    const refused = events.filter((e) => e.type === 'broker.admission' && e.cause === 'broker_unavailable');
    // Each device retries at +5 s and +10 s (refused, still down), and gets in at +15 s.
    expect(refused).toHaveLength(12);
    expect(refused.every((e) => e.t > restartAt && e.t < restartAt + 12_000)).toBe(true);
    const back = events.filter((e) => e.type === 'device.connect' && e.cause === 'ok' && e.t >= restartAt);
    expect(back.filter((e) => e.t === restartAt + 15_000)).toHaveLength(6);
    expect(summary.availability.final?.connected).toBe(1);
  }, 120_000);
});

describe('a connect rate limit in simulated time', () => {
  const text = fixedRetry(withBroker('  limits: { connectsPerSecond: 2 }\n'));

  it('admits two devices per simulated second and refuses the rest with rate_limited until all are in', async () => {
    const { summary, events } = await run(text, 10);
    const refused = events.filter((e) => e.type === 'broker.admission' && e.cause === 'rate_limited');
    expect(refused.length).toBeGreaterThan(0);
    const firstConnects = events.filter((e) => e.type === 'device.connect' && e.cause === 'ok' && e.t < T0 + 60_000);
    const perSecond = new Map<number, number>();
    for (const e of firstConnects) perSecond.set(Math.floor(e.t / 1000), (perSecond.get(Math.floor(e.t / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(2);
    expect(new Set(firstConnects.map((e) => e.device)).size).toBe(10);
    expect(summary.failures.byCause['broker:rate_limited']?.count).toBe(refused.length);
  }, 120_000);

  it('refuses the same devices at the same times on a second run with the same seed', async () => {
    const a = await run(text, 10);
    const b = await run(text, 10);
    const refusals = (r: typeof a) =>
      r.events.filter((e) => e.type === 'broker.admission').map((e) => `${e.device}@${e.t}:${e.cause}`).sort();
    expect(refusals(b)).toEqual(refusals(a));
    expect(b.summary.failures).toEqual(a.summary.failures);
  }, 120_000);
});

describe('an issuance limit', () => {
  it('serves a burst of CSRs one per simulated second, so rotations complete one after another', async () => {
    // Every device's certificate was issued at the same instant, without jitter: all renew at once.
    const burst = withBroker('  limits: { issuancePerSecond: 1 }\n').replace(
      '    backdate: 1h\n',
      '    backdate: 1h\n    issued: { from: 2029-12-12T00:00:00Z, to: 2029-12-12T00:00:00Z }\n',
    );
    const { events } = await run(burst, 6);
    const rotations = events.filter((e) => e.type === 'device.rotation' && e.outcome === 'succeeded' && e.t < T0 + 86_400_000);
    const times = rotations.map((e) => e.t).sort((x, y) => x - y);
    expect(times).toHaveLength(6);
    for (let i = 1; i < times.length; i += 1) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBe(1000);
  }, 120_000);
});

describe('audits over simulated time', () => {
  it('flags devices whose certificates expire within 30 days, and the devices under a revoked issuing CA', async () => {
    // Certificates for 90 days renewed at 0.9: each spends its last 9 days inside the 30-day window... and the
    // "other" cohort never renews at all (renewal at the very end), so it stays flagged until it is locked out.
    const text = withEvents(
      TINY_SCENARIO.replace('    lifetime: 30d\n', '    lifetime: 90d\n').replace(
        '      trustStore: { anchors: [server-root, other-root] }\n',
        '      trustStore: { anchors: [server-root, other-root] }\n      renewal: { at: 100% }\n',
      ),
      '  - { type: revoke, at: 2030-02-15T00:00:00Z, authority: device-ca }\n',
    );
    const { summary, audits } = await run(text, 6);
    const expiring = summary.audits.checks.DEVICE_CERT_EXPIRING;
    expect(expiring?.max).toBeGreaterThan(0);
    expect(expiring?.severity).toBe('Medium');
    const revokedCa = audits.filter((a) => a.check === 'INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTS');
    expect(revokedCa.length).toBeGreaterThan(0);
    expect(revokedCa.every((a) => Date.parse(a.time) >= Date.parse('2030-02-15T00:00:00Z'))).toBe(true);
    expect(revokedCa.at(-1)?.resources).toHaveLength(6);
    expect(summary.audits.checks.INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTS?.severity).toBe('Critical');
  }, 120_000);

  it('flags RSA keys shorter than 2048 bits as DEVICE_CERT_KEY_QUALITY (Critical), and the CA renews none of them', async () => {
    const { summary, events } = await run(TINY_SCENARIO.replace('    lifetime: 30d\n', '    lifetime: 30d\n    key: rsa-1024\n'), 4);
    const quality = summary.audits.checks.DEVICE_CERT_KEY_QUALITY;
    expect(quality?.severity).toBe('Critical');
    expect(quality?.firstFound).toBe('2030-01-02T00:00:00.000Z');
    expect(quality?.final).toHaveLength(4);
    // The factory issued the weak keys; the CA refuses CSRs for new ones (weak_key), so no weak device renews.
    const issuances = events.filter((e) => e.type === 'broker.issuance');
    expect(issuances.length).toBeGreaterThan(0);
    expect(issuances.every((e) => e.ok === false && e.reason === 'weak_key')).toBe(true);
    expect(summary.broker.issued).toBe(0);
    expect(summary.broker.issuanceRejected).toBe(issuances.length);
    expect(summary.broker.issuanceRejectedByReason).toEqual({ weak_key: issuances.length });
    expect(Object.keys(summary.failures.byCause).every((key) => key === 'broker:expired_leaf')).toBe(true);
  }, 120_000);
});
