/**
 * Test hosts on this machine: Linux network namespaces (ip-netns(8), Debian's iproute2; needs root), each with one
 * veth link to a bridge in a hub namespace of their own, so a test's network is a LAN of its own that no other test
 * file, and not this machine's own network, can see. Addresses come from 10.213.0.0/24 inside that LAN: reused by
 * every network, which never meet. Names carry the test process's id, so parallel test files never collide, and a
 * network left behind by a test process that died is removed by the next one. Run a program on a host with
 * test/support/run-program.ts and the host's prefix, the CLI with test/support/cli.ts's `prefix`.
 */
import { spawnSync } from 'node:child_process';

/** The private subnet every test network numbers its hosts from (the hub holds .1, hosts .10 and up). */
export const TEST_SUBNET = '10.213.0';

export interface TestHost {
  /** The namespace's name (for `ip netns exec`). */
  namespace: string;
  /** The host's address on the test network. */
  address: string;
  /** The command prefix that runs a program on this host: ['ip', 'netns', 'exec', namespace]. */
  prefix: readonly string[];
}

export interface TestNetwork {
  hosts: TestHost[];
  /** Removes every namespace of the network (its links go with it); safe to call twice. */
  teardown(): void;
}

const NAME_PREFIX = 'certfleet-t';
let networks = 0;

/** The prefix that runs a command inside namespace `namespace`. */
export function inNamespace(namespace: string): readonly string[] {
  return ['ip', 'netns', 'exec', namespace];
}

/**
 * Builds `count` hosts on one LAN. On a failure half way, what was built is removed before the error is thrown on;
 * call teardown() in afterAll.
 */
export function buildTestNetwork(count: number): TestNetwork {
  removeAbandonedNetworks();
  const id = `${NAME_PREFIX}${process.pid}-${networks++}`;
  const hub = `${id}-hub`;
  const built: string[] = [];
  const teardown = () => {
    for (const namespace of built.splice(0).reverse()) spawnSync('ip', ['netns', 'del', namespace], { stdio: 'ignore' });
  };
  try {
    addNamespace(hub, built);
    ip(['-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', hub, 'addr', 'add', `${TEST_SUBNET}.1/24`, 'dev', 'br0']);
    ip(['-n', hub, 'link', 'set', 'br0', 'up']);
    const hosts: TestHost[] = [];
    for (let i = 0; i < count; i++) {
      const namespace = `${id}-h${i}`;
      const address = `${TEST_SUBNET}.${10 + i}`;
      addNamespace(namespace, built);
      // The pair is made in the hub, its far end moved into the host as eth0: names are per namespace, so no clash.
      ip(['-n', hub, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace]);
      ip(['-n', hub, 'link', 'set', `v${i}`, 'master', 'br0']);
      ip(['-n', hub, 'link', 'set', `v${i}`, 'up']);
      ip(['-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      ip(['-n', namespace, 'link', 'set', 'eth0', 'up']);
      hosts.push({ namespace, address, prefix: inNamespace(namespace) });
    }
    return { hosts, teardown };
  } catch (error) {
    teardown();
    throw error;
  }
}

function addNamespace(namespace: string, built: string[]): void {
  ip(['netns', 'add', namespace]);
  built.push(namespace);
  ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
}

function ip(args: readonly string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.error) throw new Error(`ip ${args.join(' ')}: ${result.error.message} (install iproute2)`);
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()} (test hosts need root)`);
}

/** Namespaces of test processes that no longer exist (killed before their afterAll ran). */
function removeAbandonedNetworks(): void {
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of listed.split('\n')) {
    const match = new RegExp(`^(${NAME_PREFIX}(\\d+)-\\S+)`).exec(line);
    if (!match?.[1] || !match[2] || processExists(Number(match[2]))) continue;
    spawnSync('ip', ['netns', 'del', match[1]], { stdio: 'ignore' });
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
