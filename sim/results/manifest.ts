import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BrokerDescription } from './broker-description.js';

/** What a run was: enough to rerun it and to know which machine produced its numbers. */
export interface RunManifest {
  tool: { name: 'certfleet'; version: string; commit: string };
  node: string;
  openssl: string;
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string };
  scenario: { name: string; file: string; sha256: string };
  /** The broker target the run ran against, its version and how its clock was set. */
  broker: BrokerDescription;
  /**
   * Where the timeline started, for a scenario whose timeline starts "now": a rerun of the same file starts at
   * another time, so this is the start that reproduces it.
   */
  timelineStart?: string;
  seed: number;
  devices: number;
  workers: number;
  /** Processes the device workers were spread over (with agents: the agents holding shards). */
  deviceProcesses: number;
  /** With --agents: which agent (name, host, pid) held which shards and how many devices at the start. */
  agents?: { name: string; host: string; pid: number; index?: number; slot: number; shards: number[]; devices: number }[];
  startedAt: string;
}

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/dist\/$/, '');

export function buildManifest(input: {
  scenarioName: string;
  scenarioFile: string;
  scenarioSha256: string;
  broker: BrokerDescription;
  /** The resolved start of a timeline that starts "now". */
  timelineStart?: number | undefined;
  seed: number;
  devices: number;
  workers: number;
  deviceProcesses: number;
  startedAt: Date;
}): RunManifest {
  return {
    tool: { name: 'certfleet', version: packageVersion(), commit: gitCommit() },
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    machine: machineDescription(),
    scenario: { name: input.scenarioName, file: input.scenarioFile, sha256: input.scenarioSha256 },
    broker: input.broker,
    ...(input.timelineStart === undefined ? {} : { timelineStart: new Date(input.timelineStart).toISOString() }),
    seed: input.seed,
    devices: input.devices,
    workers: input.workers,
    deviceProcesses: input.deviceProcesses,
    startedAt: input.startedAt.toISOString(),
  };
}

export function machineDescription(): RunManifest['machine'] {
  const all = cpus();
  return {
    cpu: all[0]?.model.trim() ?? 'unknown',
    cores: all.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}
