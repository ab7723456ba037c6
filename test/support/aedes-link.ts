/**
 * A BrokerLink (broker/backend/broker-link.ts) onto an in-process Aedes, for tests of one backend service's handling
 * of what the broker routes to it, without TLS or sockets: Aedes still matches the filters and routes the messages.
 */
import type { Aedes } from 'aedes';
import type { BrokerLink } from '../../broker/backend/broker-link.js';

export function aedesLink(broker: Aedes): BrokerLink {
  return {
    subscribe: (filter, onMessage) =>
      new Promise((resolve) => {
        broker.subscribe(
          filter,
          (packet, callback) => {
            onMessage(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
            callback();
          },
          resolve,
        );
      }),
    publish: (topic, payload) =>
      new Promise((resolve, reject) => {
        broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, (error) => (error ? reject(error) : resolve()));
      }),
    close: () => Promise.resolve(),
  };
}
