import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

// The check lives beside the scenario's broker.listen schema, which uses it too.
export { listenAddressProblem } from '../sim/scenario/broker-listen-schema.js';

/**
 * The address a client on this machine dials to reach a listener bound to `listen`: the listener's own address, or
 * loopback for the unspecified address (0.0.0.0, ::), which accepts connections to every address of the host.
 */
export function dialAddress(listen: string): string {
  if (listen === '0.0.0.0') return '127.0.0.1';
  if (listen === '::') return '::1';
  return listen;
}

/**
 * The address a client on another host dials to reach a listener bound to `listen`: `advertise` when given (a name
 * DNS or a Kubernetes Service resolves, an address behind NAT); else the listener's own address; for the unspecified
 * address, the first address of this host that is not loopback (IPv4 first: a :: listener takes IPv4 too on Linux),
 * or loopback when the host has none. A loopback listener is reachable from this host only; the doc says so.
 */
export function advertisedAddress(listen: string, advertise?: string, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string {
  if (advertise !== undefined) return advertise;
  if (listen !== '0.0.0.0' && listen !== '::') return listen;
  const external = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => !i.internal && !(i.family === 'IPv6' && i.address.toLowerCase().startsWith('fe80:')));
  // A link-local IPv6 address needs a zone to dial; an IPv4 listener (0.0.0.0) takes IPv4 only.
  const usable = listen === '0.0.0.0' ? external.filter((i) => i.family === 'IPv4') : [...external.filter((i) => i.family === 'IPv4'), ...external.filter((i) => i.family === 'IPv6')];
  return usable[0]?.address ?? dialAddress(listen);
}
