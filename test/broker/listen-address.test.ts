import { describe, expect, it } from 'vitest';
import type { NetworkInterfaceInfo } from 'node:os';
import { advertisedAddress, dialAddress, listenAddressProblem } from '../../broker/listen-address.js';

describe('the address a listener binds and the one a local client dials', () => {
  it.each([
    ['0.0.0.0', '127.0.0.1'],
    ['::', '::1'],
    ['127.0.0.2', '127.0.0.2'],
    ['192.0.2.10', '192.0.2.10'],
  ])('dials %s at %s', (listen, dial) => {
    expect(dialAddress(listen)).toBe(dial);
  });

  it.each(['localhost', 'broker.example', '300.1.1.1', ''])('refuses %j as an address to listen on', (address) => {
    expect(listenAddressProblem(address)).toMatch(/^expected an IP address of this host to listen on/);
  });

  it.each(['127.0.0.1', '0.0.0.0', '::', 'fe80::1'])('takes %s', (address) => {
    expect(listenAddressProblem(address)).toBeUndefined();
  });
});

describe('the address devices on other hosts dial', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [
      { address: 'fe80::1', family: 'IPv6', internal: false },
      { address: '2001:db8::5', family: 'IPv6', internal: false },
      { address: '192.0.2.5', family: 'IPv4', internal: false },
    ],
  } as unknown as NodeJS.Dict<NetworkInterfaceInfo[]>;

  it('is the listen address itself when it names one', () => {
    expect(advertisedAddress('192.0.2.7', undefined, interfaces)).toBe('192.0.2.7');
  });

  it('is the host\'s first IPv4 address that is not loopback for 0.0.0.0 and ::', () => {
    expect(advertisedAddress('0.0.0.0', undefined, interfaces)).toBe('192.0.2.5');
    expect(advertisedAddress('::', undefined, interfaces)).toBe('192.0.2.5');
  });

  it('is a global IPv6 address for :: on a host without IPv4, never a link-local one', () => {
    const v6 = { eth0: interfaces.eth0?.filter((i) => i.family === 'IPv6') } as NodeJS.Dict<NetworkInterfaceInfo[]>;
    expect(advertisedAddress('::', undefined, v6)).toBe('2001:db8::5');
    expect(advertisedAddress('0.0.0.0', undefined, v6)).toBe('127.0.0.1');
  });

  it('is what --advertise names, whatever the listen address', () => {
    expect(advertisedAddress('0.0.0.0', 'broker.fleet.example', interfaces)).toBe('broker.fleet.example');
  });
});
