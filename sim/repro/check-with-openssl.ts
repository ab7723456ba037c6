import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectFailureSide } from '../stats/fleet-counters.js';

/** What openssl said of one exported connect, beside what the device decided. */
export interface OpensslAgreement {
  dir: string;
  /** The device's own verdict on the broker's chain; 'not judged' when the connect failed before any chain. */
  device: 'accepted' | 'rejected' | 'not judged';
  /** Whether `openssl verify` (verify.sh's policy command) accepted the chain; undefined when not run. */
  opensslAccepted?: boolean | undefined;
  agrees?: boolean | undefined;
  /** openssl's last line ("leaf.pem: OK", "error 10 at 2 depth lookup: certificate has expired"). */
  said: string;
  note: string;
}

interface ExportedVerdict {
  cause: string;
  side?: ConnectFailureSide | undefined;
  openssl: { command: string; note: string };
}

/**
 * Runs the command of verify.sh that models the device's policy (sim/repro/openssl-policy.ts) in an exported connect's
 * folder and says whether openssl agrees with the device: both accept the chain, or both reject it. A connect the
 * broker refused after the device accepted its chain counts as accepted; one that failed before any chain is skipped.
 */
export function checkWithOpenssl(dir: string): OpensslAgreement {
  const verdict = JSON.parse(readFileSync(join(dir, 'verdict.json'), 'utf8')) as ExportedVerdict;
  const { command, note } = verdict.openssl;
  if (verdict.side === 'transport') return { dir, device: 'not judged', said: 'no chain reached the device', note };
  const device = verdict.side === 'rejectedByDevice' ? 'rejected' : 'accepted';
  const run = spawnSync('sh', ['-c', command], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw new Error(`openssl could not be run in ${dir}: ${run.error.message}`);
  const output = `${run.stdout}${run.stderr}`.trim().split('\n');
  // openssl names the failing certificate, then "error N at D depth lookup: ...", then a summary line: the numbered
  // error says what failed.
  const said = output.find((line) => /^error \d+ at /.test(line)) ?? output.find((line) => /: OK$/.test(line)) ?? output.at(-1) ?? '';
  const opensslAccepted = run.status === 0;
  return { dir, device, opensslAccepted, agrees: opensslAccepted === (device === 'accepted'), said, note };
}
