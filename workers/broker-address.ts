import type { BrokerAddress } from './protocol.js';

/**
 * The address device `deviceIndex` dials: the broker's, or with broker instances instance i mod B, so every device
 * has one instance for the whole run, the same on every run.
 */
export function brokerAddressOf(broker: BrokerAddress, deviceIndex: number): { address: string; port: number } {
  const instances = broker.instances;
  const chosen = instances && instances.length > 0 ? instances[deviceIndex % instances.length] : undefined;
  return chosen ? { address: chosen.host, port: chosen.port } : { address: broker.host, port: broker.port };
}
