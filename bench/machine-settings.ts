import { readFileSync } from 'node:fs';
import { machineDescription } from '../sim/results/manifest.js';

/**
 * The machine a bench ran on and the limits that bound a fleet on it: cores, memory, Node and its OpenSSL, the open
 * files one process may hold (each connected device is one socket at each end) and the ephemeral ports a client
 * address has towards one broker address (each connection from 127.0.0.1 to one port takes one of them).
 */
export interface BenchMachine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  nodeOpenssl: string | undefined;
  openFilesPerProcess: { soft: number | 'unlimited'; hard: number | 'unlimited' } | undefined;
  ephemeralPorts: { from: number; to: number; count: number } | undefined;
}

export function benchMachine(): BenchMachine {
  return {
    ...machineDescription(),
    node: process.version,
    nodeOpenssl: process.versions.openssl,
    openFilesPerProcess: openFilesLimit(),
    ephemeralPorts: ephemeralPortRange(),
  };
}

/** "Max open files  20000  20000  files" from /proc/self/limits (Linux; what `ulimit -n` and `ulimit -Hn` say). */
function openFilesLimit(): BenchMachine['openFilesPerProcess'] {
  try {
    const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!line?.[1] || !line[2]) return undefined;
    const value = (s: string) => (s === 'unlimited' ? 'unlimited' : Number(s));
    return { soft: value(line[1]), hard: value(line[2]) };
  } catch {
    return undefined;
  }
}

function ephemeralPortRange(): BenchMachine['ephemeralPorts'] {
  try {
    const [from, to] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (from === undefined || to === undefined || !Number.isFinite(from) || !Number.isFinite(to)) return undefined;
    return { from, to, count: to - from + 1 };
  } catch {
    return undefined;
  }
}

/** Memory the kernel could give new work now without swapping (MemAvailable of /proc/meminfo), in bytes. */
export function availableMemoryBytes(): number | undefined {
  try {
    const line = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return line?.[1] === undefined ? undefined : Number(line[1]) * 1024;
  } catch {
    return undefined;
  }
}
