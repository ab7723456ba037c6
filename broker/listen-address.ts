import { isIP } from 'node:net';

/**
 * The address a client on this machine dials to reach a listener bound to `listen`: the listener's own address, or
 * loopback for the unspecified address (0.0.0.0, ::), which accepts connections to every address of the host.
 */
export function dialAddress(listen: string): string {
  if (listen === '0.0.0.0') return '127.0.0.1';
  if (listen === '::') return '::1';
  return listen;
}

/** Why an address cannot be a listener's (undefined when it can): an IPv4 or IPv6 literal, not a host name. */
export function listenAddressProblem(address: string): string | undefined {
  return isIP(address) === 0 ? `expected an IP address of this host to listen on (127.0.0.1, 0.0.0.0, 192.0.2.10, ::), got ${JSON.stringify(address)}` : undefined;
}
