import type { Aedes } from 'aedes';

/** Publishes a JSON payload from the backend itself (QoS 0: the device acknowledges at the application level). */
export function publishJson(broker: Aedes, topic: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    broker.publish(
      { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 0, retain: false, dup: false },
      (error) => (error ? reject(error) : resolve()),
    );
  });
}
