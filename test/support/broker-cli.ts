/**
 * `certfleet broker` started as a user starts it (dist/cli/main.js), for tests that aim a client at it: wait until
 * it has written broker.json, then stop it as Ctrl-C does and get its exit status and output.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerJson } from '../../sim/run/broker-json.js';
import { startCli, type CliPlace, type CliResult } from './cli.js';

export interface BrokerCli {
  /** The export folder. */
  dir: string;
  info: BrokerJson;
  /** stderr so far (decision lines, stages). */
  stderr(): string;
  /** Sends SIGINT (Ctrl-C) or another signal and resolves with how the command ended. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
}

/**
 * Starts `certfleet broker <scenario> --export <dir> ...args` (on another test host with `place.prefix`); rejects with
 * its output if it ends before listening.
 */
export async function startBrokerCli(scenario: string, dir: string, args: string[] = [], timeoutMs = 60_000, place: CliPlace = {}): Promise<BrokerCli> {
  let child: ChildProcess | undefined;
  let stderr = '';
  let ended: CliResult | undefined;
  const done = startCli(['broker', scenario, '--export', dir, ...args], (text, spawned) => {
    stderr = text;
    child = spawned;
  }, place).then((result) => (ended = result));
  const file = join(dir, 'broker.json');
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (ended) throw new Error(`certfleet broker ended (${ended.status}) before writing broker.json:\n${ended.stderr}`);
    if (Date.now() > deadline) throw new Error(`certfleet broker wrote no broker.json within ${timeoutMs} ms:\n${stderr}`);
    await sleep(50);
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as BrokerJson;
  return {
    dir,
    info,
    stderr: () => stderr,
    async stop(signal = 'SIGINT') {
      child?.kill(signal);
      return done;
    },
  };
}
