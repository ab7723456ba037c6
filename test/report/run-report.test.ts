import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, startCli } from '../support/cli.js';

describe('certfleet run interrupted with Ctrl-C', () => {
  it('still writes report.html, marked partial, and lists it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'certfleet-run-report-')), 'run');
    let interrupted = false;
    const result = await startCli(['run', join(ROOT, 'scenarios/root-expiry-2030.yaml'), '--devices', '40', '--out', dir], (stderr, child) => {
      // Once the devices run: the partial summary then has samples to draw.
      if (!interrupted && stderr.includes('certfleet: running')) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), 1500);
      }
    });
    expect(interrupted, result.stderr).toBe(true);
    expect(result.status, result.stderr).toBe(130);
    expect(result.stdout).toContain(`  ${dir}/report.html\n`);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('partial run');
    expect(html).toContain('partial: stopped early (interrupted)');
  }, 120_000);
});
