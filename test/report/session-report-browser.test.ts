/**
 * `certfleet report DIR` on the export folder of a broker session: report.html drawn from the decision log the
 * embedded broker fed over real TLS, opened in headless Chromium (the session's refusals by cause, its admitted
 * connect, its issued certificate and its delivery are on the page); a log with a line that is no decision is refused
 * line by line; a session killed mid-write still reports. Chromium missing is a failure, not a skip.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../bench/chromium.js';
import { EXIT } from '../../cli/exit-codes.js';
import { causeText } from '../../sim/report/headline.js';
import { recordBrokerSession } from '../support/broker-session.js';
import { runCli } from '../support/cli.js';
import { drawnCharts, openPage, type DrawnChart } from './open-page.js';

describe('report.html of a broker session, in Chromium', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'certfleet-session-report-')), 'session');
  let browser: Browser;
  let cli: ReturnType<typeof runCli>;
  let opened: Awaited<ReturnType<typeof openPage>>;
  let charts: DrawnChart[];

  beforeAll(async () => {
    browser = await launchChromium();
    await recordBrokerSession(dir);
    cli = runCli(['report', dir]);
    opened = await openPage(browser, join(dir, 'report.html'));
    charts = await drawnCharts(opened.page);
    await opened.page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('is written by certfleet report from the session folder, which has no run summary', () => {
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(EXIT.ok);
    expect(cli.stdout).toBe(`report: ${join(dir, 'report.html')}\n`);
  });

  it('opens without an error and without asking the network for anything', () => {
    expect(opened.errors).toEqual([]);
    expect(opened.requests).toHaveLength(1);
  });

  it('draws the connect decisions: the admitted one and the refusal under its cause', () => {
    const connects = charts.find((c) => c.id === 'chart-connects');
    expect(connects?.datasets.map((d) => [d.label, d.nonZero, d.drawn === d.points])).toEqual([
      ['admitted: connects the broker admitted', 1, true],
      [`broker:client_cert_missing: ${causeText('broker:client_cert_missing')}`, 1, true],
      ['broker:expired_leaf: the end-entity certificate is past its notAfter', 1, true],
    ]);
    expect(connects?.painted).toBeGreaterThan(0.01);
  });

  it('draws the issued certificate and the refused CSR, the deliveries by outcome, and the failed handshake', () => {
    const labels = (id: string) => charts.find((c) => c.id === id)?.datasets.filter((d) => d.nonZero > 0).map((d) => d.label.split(':')[0]);
    expect(labels('chart-certificates')).toEqual(['issued', 'csr-refused']);
    expect(labels('chart-deliveries')).toEqual(['sent', 'acknowledged', 'queued', 'synced']);
    expect(labels('chart-tls')).toEqual(['tls-alert']);
  });

  it('tables the refusals by cause, and lists the refused client with its certificate', async () => {
    const rows = (id: string) =>
      opened.page.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => ((td as { textContent: string | null }).textContent ?? '').trim())));
    expect((await rows('refusals-by-cause')).map((r) => r.slice(0, 3))).toEqual([
      [`broker:client_cert_missing ${causeText('broker:client_cert_missing')}`, '1', '1'],
      ['broker:expired_leaf the end-entity certificate is past its notAfter', '1', '1'],
    ]);
    expect(await rows('refusals')).toEqual([
      ['2030-01-15T00:00Z', 'device-0004', 'client_cert_missing', ''],
      ['2030-01-15T00:00Z', 'device-0002', 'expired_leaf', 'device certificate notAfter 2030-01-14T23:59:59Z'],
    ]);
    expect((await rows('tls-failures')).map((r) => r.slice(0, 2))).toEqual([['tls-alert:48 unknown_ca', '1']]);
    expect((await rows('csr-refusals')).map((r) => r.slice(0, 2))).toEqual([['subject_mismatch', '1']]);
    const headline = await opened.page.$eval('#headline', (p) => p.textContent);
    expect(headline).toBe(
      '4 connects decided from 2030-01-15T00:00Z to 2030-01-15T00:00Z: 2 admitted, 2 refused: broker:client_cert_missing 1, broker:expired_leaf 1; 1 certificate issued, 1 CSR refused.',
    );
  });

  it('still reports a session killed mid-write, passing over its torn last line', () => {
    const killed = mkdtempSync(join(tmpdir(), 'certfleet-session-killed-'));
    // The session.json written when the log opened (never closed), and a line the process died writing.
    const about = JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(killed, 'session.json'), JSON.stringify({ ...about, complete: false, endedAt: undefined }));
    writeFileSync(join(killed, 'decisions.ndjson'), readFileSync(join(dir, 'decisions.ndjson'), 'utf8'));
    appendFileSync(join(killed, 'decisions.ndjson'), '{"time":"2030-01-15T00:00:01.000Z","type":"broker.admis');
    const result = runCli(['report', killed]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(EXIT.ok);
    const page = readFileSync(join(killed, 'report.html'), 'utf8');
    expect(page).toContain('log not closed');
    expect(page).toContain('<td class="mono">device-0002</td><td class="mono">expired_leaf</td>');
  });

  it('refuses a log with a line that is no decision, naming the file and each line, with exit code 2', () => {
    const bad = mkdtempSync(join(tmpdir(), 'certfleet-session-bad-'));
    writeFileSync(
      join(bad, 'decisions.ndjson'),
      [
        readFileSync(join(dir, 'decisions.ndjson'), 'utf8').split('\n')[0],
        'not json',
        JSON.stringify({ type: 'broker.admission', t: 0, device: 'd', cause: 'no_such_cause' }),
        '',
      ].join('\n'),
    );
    const result = runCli(['report', bad]);
    expect(result.status).toBe(EXIT.invalidInput);
    expect(result.stderr).toBe(
      `certfleet: ${join(bad, 'decisions.ndjson')}: 2 problems\n  line 2: not valid JSON (Unexpected token 'o', "not json" is not valid JSON)\n  line 3: broker.admission: cause: expected a cause of sim/causes.ts\n`,
    );
  });
});
