import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import { ROOT, runCli } from '../support/cli.js';


function sh(command: string, cwd: string) {
  return spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8' });
}

/** The openssl commands of an exported connect: [all anchors, the chosen path]. */
function opensslCommands(folder: string): string[] {
  return readFileSync(join(folder, 'verify.sh'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('openssl verify'));
}

describe('certfleet repro on a root-expiry-2030 run', () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'certfleet-repro-')), 'run');
  let summary: RunSummary;

  beforeAll(async () => {
    ({ summary } = await runScenario({
      loaded: loadScenario(join(ROOT, 'scenarios/root-expiry-2030.yaml')),
      seed: 3,
      devices: 30,
      outDir: runDir,
      workers: 1,
    }));
  }, 120_000);

  function connects() {
    return readFileSync(join(runDir, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; device: string; cause: string })
      .filter((e) => e.type === 'device.connect');
  }

  function repro(device: string) {
    const result = runCli(['repro', runDir, '--device', device]);
    const folders = readdirSync(join(runDir, `repro-${device}`)).filter((f) => f.startsWith('connect-'));
    return { result, folders: folders.map((f) => join(runDir, `repro-${device}`, f)) };
  }

  it('replays a strict device that lost its root: the same connects, and openssl agrees it is the root that expired', () => {
    const stranded = new Set(summary.unrecovered.list.filter((d) => d.cohort === 'frozen-strict').map((d) => d.device));
    const strict = connects().find((e) => e.cause === 'expired_root' && stranded.has(e.device));
    if (!strict) throw new Error('the run has no stranded frozen-strict device that saw its root expire');
    const { result, folders } = repro(strict.device);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('the replay matches the run');
    expect(result.stdout).toMatch(/connect\s+expired_root/);
    const expired = folders.find((f) => f.endsWith('-expired_root'));
    if (!expired) throw new Error('no expired_root connect exported');
    const verdict = JSON.parse(readFileSync(join(expired, 'verdict.json'), 'utf8')) as { path: string[] };
    // The path ends at the anchor, depth path.length - 1, and that is where openssl sees the expiry (error 10).
    for (const command of opensslCommands(expired)) {
      const out = sh(command, expired);
      expect(out.status).not.toBe(0);
      expect(out.stderr + out.stdout).toContain(`error 10 at ${verdict.path.length - 1} depth lookup: certificate has expired`);
    }
  }, 120_000);

  it('replays an untrusted-first device: openssl finds the valid path that device missed, and agrees on the path it chose', () => {
    const legacy = connects().find((e) => e.cause === 'expired_on_chosen_path');
    if (!legacy) throw new Error('no expired_on_chosen_path in the run');
    const { result, folders } = repro(legacy.device);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('the replay matches the run');
    const chosen = folders.find((f) => f.endsWith('-expired_on_chosen_path'));
    if (!chosen) throw new Error('no expired_on_chosen_path connect exported');
    const [allAnchors, chosenPath] = opensslCommands(chosen);
    // OpenSSL builds trusted-first: with every anchor the device held, the chain verifies.
    expect(sh(allAnchors ?? 'false', chosen).stdout).toContain('leaf.pem: OK');
    // On the path the device chose (through the cross-sign to the expired root), openssl sees the expired root.
    const onPath = sh(chosenPath ?? 'false', chosen);
    expect(onPath.stderr + onPath.stdout).toMatch(/error 10 at \d depth lookup: certificate has expired/);
  }, 120_000);

  it('replays the same device again into a fresh replay folder', () => {
    const first = repro('device-00000');
    expect(first.result.status, first.result.stderr).toBe(0);
    const again = repro('device-00000');
    expect(again.result.status, again.result.stderr).toBe(0);
    expect(again.result.stdout).toContain('the replay matches the run');
    expect(again.folders).toEqual(first.folders);
  }, 120_000);

  it('refuses an unknown device with exit code 2 and says which devices the run has', () => {
    const result = runCli(['repro', runDir, '--device', 'device-99999']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`certfleet: --device device-99999: no such device in ${runDir}: its 30 devices are device-00000 to device-00029\n`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a folder that is not a run with exit code 2', () => {
    const result = runCli(['repro', tmpdir(), '--device', 'device-00000']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${join(tmpdir(), 'manifest.json')}: no such file (is ${tmpdir()} a run folder written by certfleet run?)`);
  });
});
