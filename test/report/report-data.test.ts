import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embedJson } from '../../sim/report/html-page.js';
import { loadRunData, ReportInputError } from '../../sim/report/report-data.js';
import { renderReport } from '../../sim/report/render-report.js';
import { minimalManifest, minimalSummary, writeRunFolder } from './minimal-run.js';
import { ROOT, runCli } from '../support/cli.js';


function loadError(dir: string): ReportInputError {
  try {
    loadRunData(dir);
  } catch (error) {
    if (error instanceof ReportInputError) return error;
    throw error;
  }
  throw new Error(`${dir} loaded without an error`);
}

describe('reading a run folder for a report', () => {
  it('reads summary.json and manifest.json into the typed model', () => {
    const run = loadRunData(writeRunFolder());
    expect(run.summary.availability.samples).toHaveLength(4);
    expect(run.summary.markers[0]?.certificate?.role).toBe('root');
    expect(run.manifest.scenario.file).toBe('scenarios/minimal.yaml');
    // Everything summary.json holds stays available for comparisons, fields the schema does not name included.
    expect((run.rawSummary.connects as { attempted: number }).attempted).toBe(20);
  });

  it('names the missing file and asks whether the folder is a run folder', () => {
    const dir = writeRunFolder();
    rmSync(join(dir, 'summary.json'));
    const error = loadError(dir);
    expect(error.file).toBe(join(dir, 'summary.json'));
    expect(error.message).toBe(`${join(dir, 'summary.json')}: no such file (is ${dir} a run folder written by certfleet run?)`);
  });

  it('says a file is not JSON', () => {
    expect(loadError(writeRunFolder({ summaryText: '{"complete": tru' })).message).toMatch(/summary\.json: not valid JSON \(/);
  });

  it('names the file and the field that is missing or of the wrong type, every one of them', () => {
    const summary = minimalSummary() as Record<string, unknown> & ReturnType<typeof minimalSummary>;
    delete (summary.availability.samples[1] as Partial<(typeof summary.availability.samples)[number]>).connected;
    (summary.rotations.latencyMs as Record<string, unknown>).p95 = 'fast';
    delete (summary as Partial<typeof summary>).markers;
    const error = loadError(writeRunFolder({ summary }));
    expect(error.file).toMatch(/summary\.json$/);
    expect(error.problems).toEqual([
      'rotations.latencyMs.p95: expected number, got "fast"',
      'availability.samples[1].connected: missing (expected number)',
      'markers: missing (expected array)',
    ]);
    expect(error.message).toContain('summary.json: 3 problems');
  });

  it('checks the manifest too: a report shows the seed and the scenario a repro needs', () => {
    const manifest: Partial<ReturnType<typeof minimalManifest>> = minimalManifest();
    delete manifest.seed;
    const error = loadError(writeRunFolder({ manifest }));
    expect(error.file).toMatch(/manifest\.json$/);
    expect(error.problems).toEqual(['seed: missing (expected number)']);
  });

  it('reads summary.json by its published schema, so a key it does not know is named, not ignored', () => {
    const summary = { ...minimalSummary(), wall: { seconds: 1.5, epochs: 16, cpuSeconds: 3 } };
    expect(loadError(writeRunFolder({ summary })).problems).toEqual([
      'wall.cpuSeconds: unknown key (not in docs/summary.schema.json; written by another certfleet version?)',
    ]);
  });

  it('refuses a share outside 0..1 and an unknown marker kind', () => {
    const summary = minimalSummary();
    summary.availability.samples[0] = { ...summary.availability.samples[0]!, connected: 1.5 };
    summary.markers[0] = { ...summary.markers[0]!, kind: 'deadline' };
    const problems = loadError(writeRunFolder({ summary })).problems;
    expect(problems.some((p) => p.startsWith('availability.samples[0].connected: ') && p.includes('1.5'))).toBe(true);
    expect(problems).toContain('markers[0].kind: expected one of "expiry", "event", "fault", got "deadline"');
  });
});

describe('certfleet report on a folder it cannot use', () => {
  it('exits 2 with the file and the field, and no stack trace', () => {
    const summary = minimalSummary() as Partial<ReturnType<typeof minimalSummary>>;
    delete summary.activity;
    const dir = writeRunFolder({ summary });
    const result = runCli(['report', dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`certfleet: ${join(dir, 'summary.json')}: activity: missing (expected array)\n`);
    expect(result.stdout).toBe('');
  });

  it('exits 2 for a folder that does not exist', () => {
    const result = runCli(['report', '/nonexistent/run']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('/nonexistent/run/summary.json: no such file');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('data embedded in the page', () => {
  it('cannot close its script element or open a comment, and parses back unchanged', () => {
    const value = { device: '</script><script>alert(1)</script>', note: '<!-- x -->', separators: '\u2028\u2029' };
    const embedded = embedJson(value);
    expect(embedded).not.toMatch(/<\/|<!--|\u2028|\u2029/);
    expect(JSON.parse(embedded)).toEqual(value);
  });

  it('keeps hostile names in a summary inert: as many script elements close as open, names escaped in the HTML', () => {
    const summary = minimalSummary();
    summary.scenario = '<img src=x onerror=alert(1)>';
    summary.unrecovered.list[0] = { ...summary.unrecovered.list[0]!, device: '</script><script>alert(1)</script>' };
    const html = renderReport(loadRunData(writeRunFolder({ summary })));
    expect(html.match(/<script/g)).toHaveLength(4);
    expect(html.match(/<\/script>/g)).toHaveLength(4);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    const data = JSON.parse(/<script type="application\/json" id="certfleet-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '') as { unrecovered: { rows: [string][] } };
    expect(data.unrecovered.rows[0]?.[0]).toBe('</script><script>alert(1)</script>');
  });

  it('names the broker target, its version and its clock in the header; a run from before targets ran on the embedded broker', () => {
    const manifest = { ...minimalManifest(), broker: { target: 'mosquitto', version: 'mosquitto 2.0.11', clock: 'libfaketime, set per connect' } };
    expect(renderReport(loadRunData(writeRunFolder({ manifest })))).toContain('<dt>broker</dt><dd>mosquitto (mosquitto 2.0.11), clock: libfaketime, set per connect</dd>');
    expect(renderReport(loadRunData(writeRunFolder()))).toContain('<dt>broker</dt><dd>embedded</dd>');
  });

  it('shows each threshold with its verdict, expected and actual values, and the verdict of them all', () => {
    const html = renderReport(loadRunData(writeRunFolder()));
    expect(html).toContain(
      '<tr><td><span class="fail">FAIL</span></td><td>availability.min &#62;= 99%</td><td class="mono">availability.min &#62;= 99%</td><td>all</td><td class="num">99%</td><td class="num">50%</td></tr>',
    );
    expect(html).toContain('<tr><td><span class="pass">PASS</span></td><td>lockedOut == 0</td>');
    expect(html).toContain('<span class="status bad">thresholds failed</span>');
  });

  it('inlines Chart.js and the annotation plugin, so the page needs no network', () => {
    const html = renderReport(loadRunData(writeRunFolder()));
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^\s"'<>]+\.js/);
    const chartJs = readFileSync(join(ROOT, 'node_modules/chart.js/dist/chart.umd.min.js'), 'utf8');
    expect(html).toContain(chartJs.slice(0, 200));
    expect(html).toContain('chartjs-plugin-annotation v3');
  });
});
