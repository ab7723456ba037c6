import { describe, expect, it } from 'vitest';
import { dialAddress, listenAddressProblem } from '../../broker/listen-address.js';

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
