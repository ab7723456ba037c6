/** Runs dist/cli/main.js as a user would: synchronously, or asynchronously so two runs can go at once. */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Where the CLI runs: `prefix` runs it through another program, such as ['ip', 'netns', 'exec', NS] (test/support/netns.ts). */
export interface CliPlace {
  prefix?: readonly string[] | undefined;
}

/** Starts the CLI; `onStderr` sees stderr as it arrives (to act on a stage line). */
export function startCli(args: string[], onStderr?: (text: string, child: ChildProcess) => void, place: CliPlace = {}): Promise<CliResult> {
  const [program, ...prefixArgs] = [...(place.prefix ?? []), process.execPath];
  const child = spawn(program ?? process.execPath, [...prefixArgs, CLI, ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    onStderr?.(stderr, child);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs the CLI to completion from the repository root (5 minutes at most). */
export function runCli(args: string[], options: { timeoutMs?: number; cwd?: string } & CliPlace = {}): SpawnSyncReturns<string> {
  const [program, ...prefixArgs] = [...(options.prefix ?? []), process.execPath];
  return spawnSync(program ?? process.execPath, [...prefixArgs, CLI, ...args], { cwd: options.cwd ?? ROOT, encoding: 'utf8', timeout: options.timeoutMs ?? 300_000 });
}
