import type { Aedes } from 'aedes';
import { parseDeviceTopic } from '../sim/device-api/topics.js';

/**
 * A backend service's subscription to a device topic filter (`devices/+/...`): JSON bodies with the device id
 * taken from the topic, which the topic policy ties to the publishing client. Malformed bodies are dropped: the
 * device times out and retries.
 */
export function subscribeJson<T>(
  broker: Aedes,
  filter: string,
  handler: (deviceId: string, body: T, topicRest: string) => void,
): Promise<void> {
  return new Promise((resolve) => {
    broker.subscribe(
      filter,
      (packet, callback) => {
        const topic = parseDeviceTopic(packet.topic);
        let body: T | undefined;
        try {
          body = JSON.parse(packet.payload.toString()) as T;
        } catch {
          body = undefined;
        }
        if (topic && body !== undefined) handler(topic.deviceId, body, topic.rest);
        callback();
      },
      resolve,
    );
  });
}
