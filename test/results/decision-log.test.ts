/**
 * The decision log of a broker session, fed real events by the embedded broker over real TLS (an admitted client, one
 * refused for a certificate expired at the broker's clock, a pushed delivery and its acknowledgement, a CSR signed,
 * a client that rejects the broker's chain): one JSON line and one human line per decision, session.json with the
 * totals; and the decision lines of a client id no terminal should print as is.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decisionLine } from '../../sim/results/decision-line.js';
import { DecisionLog } from '../../sim/results/decision-log.js';
import { sessionSummarySchema } from '../../sim/results/session-summary.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import { recordBrokerSession, SESSION_T0, type RecordedSession } from '../support/broker-session.js';
import { readEventLines, type EventLine } from '../support/event-lines.js';
import { DAY, SECOND } from '../support/time.js';
import { mountTmpfs, unmount } from '../support/tmpfs.js';

type DecisionLine = EventLine & { time: string; role?: string; serial?: string; notAfter?: number; updateId?: string; alert?: string; code?: string; source?: string };

const T0_ISO = '2030-01-15T00:00:00Z';

describe('the decision log of a broker session', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'certfleet-decisions-')), 'session');
  let session: RecordedSession;
  let lines: DecisionLine[];
  let issued: { serialHex: string; notAfter: number };

  beforeAll(async () => {
    session = await recordBrokerSession(dir);
    lines = readEventLines<DecisionLine>(join(dir, 'decisions.ndjson'));
    const parsed = new CertificatePool().parsePem(session.issuedPem)[0];
    if (!parsed) throw new Error('no certificate issued');
    issued = parsed;
  }, 60_000);

  it('writes one JSON line per decision, each with its ISO time, in the order they were made', () => {
    expect(lines.map((l) => `${l.type}:${l.cause ?? l.outcome ?? String(l.ok ?? '')}`)).toEqual([
      'broker.admission:ok',
      'broker.delivery:sent',
      'broker.delivery:acknowledged',
      'broker.issuance:true',
      'broker.issuance:false',
      'broker.delivery:queued',
      'broker.admission:ok',
      'broker.delivery:synced',
      'broker.admission:expired_leaf',
      'broker.admission:client_cert_missing',
      'broker.tls-failure:',
    ]);
    for (const line of lines) expect(line.time).toBe(new Date(line.t).toISOString());
  });

  it('records the admitted connect with its role and the certificate it presented', () => {
    const admitted = lines[0];
    expect(admitted).toMatchObject({ type: 'broker.admission', t: SESSION_T0, device: 'device-0001', cause: 'ok', role: 'operational', notAfter: SESSION_T0 + 30 * DAY });
    expect(admitted?.serial).toMatch(/^[0-9a-f]+$/);
  });

  it('records the refusal at the broker clock with the cause and the expired certificate', () => {
    expect(lines.find((l) => l.device === 'device-0002')).toMatchObject({
      type: 'broker.admission',
      t: SESSION_T0,
      cause: 'expired_leaf',
      notAfter: session.expiredNotAfter,
    });
  });

  it('records the issued certificate by its serial and notAfter, as the certificate itself says, and the refused CSR by its reason', () => {
    const issuances = lines.filter((l) => l.type === 'broker.issuance');
    expect(issuances[0]).toMatchObject({ device: 'device-0001', ok: true, serial: issued.serialHex, notAfter: issued.notAfter });
    expect(issuances[1]).toMatchObject({ device: 'device-0001', ok: false, reason: 'subject_mismatch' });
    expect(issuances[1]?.serial).toBeUndefined();
  });

  it('records the delivery sent and its acknowledgement, and the one queued for an offline client until its sync', () => {
    const deliveries = lines.filter((l) => l.type === 'broker.delivery');
    expect(deliveries.map((l) => [l.device, l.updateId, l.outcome])).toEqual([
      ['device-0001', 'bundle-1', 'sent'],
      ['device-0001', 'bundle-1', 'acknowledged'],
      ['device-0003', 'bundle-2', 'queued'],
      ['device-0003', 'bundle-2', 'synced'],
    ]);
  });

  it('records the client that sent no certificate as refused at CONNECT, with no certificate to name', () => {
    const refusal = lines.find((l) => l.device === 'device-0004');
    expect(refusal).toMatchObject({ type: 'broker.admission', t: SESSION_T0, cause: 'client_cert_missing' });
    expect(refusal?.serial).toBeUndefined();
  });

  it('records the client that rejected the broker chain with the alert it sent', () => {
    expect(lines.find((l) => l.type === 'broker.tls-failure')).toMatchObject({
      source: '127.0.0.1',
      alert: 'tls-alert:48 unknown_ca',
      code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      reason: expect.stringContaining('SSL alert number 48'),
    });
  });

  it('says each decision in one human line on stderr', () => {
    expect(session.stderr).toEqual([
      `${T0_ISO} admitted device-0001 operational serial ${lines[0]?.serial ?? ''} notAfter 2030-02-14T00:00:00Z`,
      `${T0_ISO} delivered trust-bundle bundle-1 to device-0001`,
      `${T0_ISO} acknowledged trust-bundle bundle-1 by device-0001`,
      `${T0_ISO} issued device-0001 serial ${issued.serialHex} notAfter ${new Date(issued.notAfter).toISOString().replace('.000Z', 'Z')}`,
      `${T0_ISO} csr-refused device-0001 subject_mismatch`,
      `${T0_ISO} queued trust-bundle bundle-2 for device-0003`,
      expect.stringMatching(new RegExp(`^${T0_ISO} admitted device-0003 operational serial [0-9a-f]+ notAfter 2030-02-14T00:00:00Z$`)),
      `${T0_ISO} synced trust-bundle bundle-2 to device-0003`,
      expect.stringMatching(new RegExp(`^${T0_ISO} refused device-0002 expired_leaf \\(device certificate notAfter 2030-01-14T23:59:59Z; serial [0-9a-f]+\\)$`)),
      `${T0_ISO} refused device-0004 client_cert_missing`,
      expect.stringMatching(new RegExp(`^${T0_ISO} tls-failed 127\\.0\\.0\\.1 tls-alert:48 unknown_ca \\(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA\\)$`)),
    ]);
  });

  it('writes session.json on close with the totals of what was decided', () => {
    const summary = sessionSummarySchema.parse(JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')));
    expect(summary).toMatchObject({ scenario: 'tiny', seed: 7, complete: true, decisions: 11, simulated: { start: '2030-01-15T00:00:00.000Z', reached: '2030-01-15T00:00:00.000Z' } });
    expect(summary.totals?.connects).toEqual({
      admitted: 2,
      refused: 2,
      admittedByRole: { operational: 2 },
      refusedByCause: {
        'broker:client_cert_missing': { count: 1, clients: 1, first: SESSION_T0, last: SESSION_T0 },
        'broker:expired_leaf': { count: 1, clients: 1, first: SESSION_T0, last: SESSION_T0 },
      },
    });
    expect(summary.totals?.certificates).toEqual({
      issued: 1,
      refused: 1,
      refusedByReason: { subject_mismatch: { count: 1, clients: 1, first: SESSION_T0, last: SESSION_T0 } },
    });
    expect(summary.totals?.deliveries).toEqual({ sent: 1, acknowledged: 1, queued: 1, synced: 1 });
    expect(Object.keys(summary.totals?.tlsFailures ?? {})).toEqual(['tls-alert:48 unknown_ca']);
  });
});

describe('decision lines', () => {
  it('quote a client id with a newline or an escape sequence, so a client cannot forge a line or drive the terminal', () => {
    const line = decisionLine({ type: 'broker.admission', t: SESSION_T0, device: 'evil\n2030-01-15T00:00:00Z admitted \u001b[2Jroot', cause: 'client_id_mismatch' });
    expect(line).toBe(`${T0_ISO} refused "evil\\n2030-01-15T00:00:00Z admitted \\u001b[2Jroot" client_id_mismatch`);
    expect(line).not.toContain('\n');
  });

  it('name a refused CSR with its reason', () => {
    expect(decisionLine({ type: 'broker.issuance', t: SESSION_T0, device: 'device-0003', ok: false, reason: 'weak_key' })).toBe(`${T0_ISO} csr-refused device-0003 weak_key`);
  });

});

describe('the decision log on a disk that fills up', () => {
  it('reports the failure once, keeps saying decisions on stderr, and leaves whole lines and the session.json it had', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-decisions-full-'));
    mountTmpfs(dir, { size: '64k' });
    try {
      const failures: string[] = [];
      const said: string[] = [];
      const log = await DecisionLog.open(dir, { stderr: (line) => said.push(line), onFailure: (error) => failures.push(error.code ?? error.message) });
      // About 200 bytes a line: 2,000 of them do not fit in 64 KiB.
      for (let i = 0; i < 2_000; i += 1) log.onEvent({ type: 'broker.admission', t: SESSION_T0 + i * SECOND, device: `device-${String(i).padStart(4, '0')}`, cause: 'expired_leaf', serial: 'ab'.repeat(16), notAfter: SESSION_T0 });
      await expect(log.close()).rejects.toThrow(/no space left on device writing .*decisions\.ndjson/);
      expect(failures).toEqual(['ENOSPC']);
      expect(said).toHaveLength(2_000);
      const text = readFileSync(join(dir, 'decisions.ndjson'), 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      const written = text.trimEnd().split('\n').map((line) => JSON.parse(line) as { device: string });
      expect(written.length).toBeGreaterThan(0);
      expect(written.length).toBeLessThan(2_000);
      expect(written.map((l) => l.device)).toEqual(said.slice(0, written.length).map((line) => line.split(' ')[2]));
      // The session.json written at open is still whole.
      expect(sessionSummarySchema.parse(JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8'))).kind).toBe('certfleet-broker-session');
    } finally {
      unmount(dir);
    }
  });
});
