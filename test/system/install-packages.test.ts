import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const SCRIPT = join(ROOT, 'test/system/install-packages.sh');

/** Every `command -> package` pair the script knows. */
function listedCommands(): string[] {
  return [...readFileSync(SCRIPT, 'utf8').matchAll(/^\s+\[([a-z0-9_-]+)\]=[a-z0-9.+-]+/gm)].map((m) => m[1] ?? '');
}

/** Test sources, recursively. */
function testSources(dir = join(ROOT, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? testSources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('the system packages the tests need', () => {
  it('lists every program the tests spawn by name', () => {
    const spawned = new Set<string>();
    for (const file of testSources()) {
      for (const m of readFileSync(file, 'utf8').matchAll(/spawn(?:Sync)?\(\s*'([a-z0-9_-]+)'/g)) spawned.add(m[1] ?? '');
    }
    // The shells are part of every Debian system; the browser is launched by path (bench/chromium.ts).
    spawned.delete('sh');
    spawned.delete('bash');
    spawned.add('chromium');
    // The `mosquitto` broker target starts Mosquitto by path with libfaketime preloaded (broker/mosquitto/).
    spawned.add('mosquitto');
    spawned.add('faketime');
    expect(spawned.size).toBeGreaterThan(1);
    expect(listedCommands()).toEqual(expect.arrayContaining([...spawned]));
  });

  it('names the missing packages in one line when it may not install them', () => {
    // A PATH with bash and the basics but no openssl, run as a user who is neither root nor a sudoer.
    const bin = mkdtempSync(join(tmpdir(), 'certfleet-path-'));
    chmodSync(bin, 0o755);
    for (const tool of ['bash', 'id', 'sudo']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found) symlinkSync(found, join(bin, tool));
    }
    const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', '-i', `PATH=${bin}`, 'bash', SCRIPT], {
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^certfleet tests need these Debian packages: sudo apt-get install -y .*\bopenssl\b/);
    expect(lines[0]).toContain('chromium');
  });

  it('does nothing when every program is there', () => {
    const run = spawnSync('bash', [SCRIPT], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });
});
