import { isIP } from 'node:net';
import { z } from 'zod';
import { describeInput, hostName } from './primitives.js';

/** Why an address cannot be a listener's (undefined when it can): an IPv4 or IPv6 literal, not a host name. */
export function listenAddressProblem(address: string): string | undefined {
  return isIP(address) === 0 ? `expected an IP address of this host to listen on (127.0.0.1, 0.0.0.0, 192.0.2.10, ::), got ${JSON.stringify(address)}` : undefined;
}

const listenAddress = z
  .string({ error: (issue) => `expected an IP address of this host to listen on (127.0.0.1, 0.0.0.0, 192.0.2.10, ::), got ${describeInput(issue.input)}` })
  .superRefine((text, ctx) => {
    const problem = listenAddressProblem(text);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', input: text, message: problem });
  });

/**
 * Where a run's broker (embedded or Mosquitto) listens, and the address devices on other hosts dial: for a fleet whose
 * device agents run beyond this machine (docs/distributed-runs.md). `certfleet run --listen`, `--broker-port` and
 * `--advertise` override each part.
 */
export const brokerListen = z
  .strictObject({
    address: listenAddress
      .default('127.0.0.1')
      .describe('The IP address the broker listens on: 127.0.0.1 (default, this host only), an address of this host, or 0.0.0.0 / :: for all of them'),
    port: z.number().int().min(0).max(65_535).default(0).describe('The broker\'s port (default 0: any free port; give one a firewall or a Kubernetes Service can name)'),
    advertise: hostName
      .optional()
      .describe(
        'The host name or IPv4 address devices on other hosts dial: default the listen address, or for 0.0.0.0 / :: the first address of this host that is not loopback',
      ),
  })
  .describe('Where the broker listens and where device agents on other hosts dial it (broker.target embedded and mosquitto)');

export type BrokerListen = z.infer<typeof brokerListen>;
