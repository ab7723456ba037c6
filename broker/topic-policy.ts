import type { Client, PublishPacket, Subscription } from 'aedes';
import { DEVICE_TOPIC_ROOT, isBackendReplyTopic, isDeviceRequestFilter, isDeviceRequestTopic, namesAnotherThing, parseDeviceTopic } from '../sim/device-api/topics.js';
import { mountedForClient, type AwsTopicMount } from './aws-topic-mount.js';
import type { SessionRole } from './device-admission.js';

/**
 * A device may subscribe only under `devices/<its client id>/` (the AWS IoT policy variable `${iot:ClientId}`
 * pattern), and publish only its requests there. Admission already tied the client id to the certificate CN.
 */
export function ownsTopic(clientId: string, topic: string): boolean {
  const prefix = `${DEVICE_TOPIC_ROOT}/${clientId}/`;
  // MQTT 3.1.1 4.7.1: a wildcard in the client-id level would reach other devices' topics.
  return !/[+#]/.test(clientId) && topic.startsWith(prefix);
}

/** Topics a provisioning-only session (bootstrap identity, renewal grace) may publish to. */
const PROVISIONING = /^devices\/[^/]+\/(rotation|\$aws\/certificates|\$aws\/provisioning-templates|sync|delivery|presence)\//;

/**
 * The backend (admitted by its exact certificate, broker/device-admission.ts) publishes only replies and deliveries
 * under a device's prefix, and subscribes only to device requests: the rights a real broker's ACL would give it.
 */
function backendMayPublish(topic: string): boolean {
  const parsed = parseDeviceTopic(topic);
  // A thing's Jobs answers go to that thing only.
  return parsed !== undefined && !/[+#]/.test(parsed.deviceId) && isBackendReplyTopic(parsed.rest) && !namesAnotherThing(parsed.deviceId, parsed.rest);
}

export function authorizePublish(onDenied: (clientId: string, topic: string) => void, roleOf: (client: Client) => SessionRole | undefined) {
  return (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void => {
    // The broker's own publishes (client null) go anywhere.
    if (client === null) {
      callback(null);
      return;
    }
    const role = roleOf(client) ?? 'operational';
    if (role === 'backend') {
      if (backendMayPublish(packet.topic)) {
        callback(null);
        return;
      }
      onDenied(client.id, packet.topic);
      callback(new Error(`the backend may not publish to ${packet.topic}`));
      return;
    }
    // AWS IoT's reserved topics live under the client's own prefix (broker/aws-topic-mount.ts); aedes publishes the
    // packet as this hook leaves it.
    packet.topic = mountedForClient(client.id, packet.topic);
    // A device sends requests only; its replies and deliveries are the backend's to publish.
    // AWS IoT's policy variable ${iot:Connection.Thing.ThingName}: a thing's Jobs topics are its own only.
    const request =
      ownsTopic(client.id, packet.topic) && isDeviceRequestTopic(packet.topic.slice(`${DEVICE_TOPIC_ROOT}/${client.id}/`.length)) && !namesAnotherThing(client.id, packet.topic);
    if (request && (role === 'operational' || PROVISIONING.test(packet.topic))) {
      callback(null);
      return;
    }
    onDenied(client.id, packet.topic);
    callback(new Error(`client ${client.id} may not publish to ${packet.topic}`));
  };
}

export function authorizeSubscribe(
  onDenied: (clientId: string, topic: string) => void,
  roleOf: (client: Client) => SessionRole | undefined = () => undefined,
  mount?: AwsTopicMount,
) {
  return (
    client: Client,
    subscription: Subscription,
    callback: (error: Error | null, subscription?: Subscription | null) => void,
  ): void => {
    const backend = roleOf(client) === 'backend';
    if (backend && isDeviceRequestFilter(subscription.topic)) {
      callback(null, subscription);
      return;
    }
    const topic = mountedForClient(client.id, subscription.topic);
    if (!backend && ownsTopic(client.id, topic) && !namesAnotherThing(client.id, topic)) {
      // aedes subscribes to the subscription this hook returns: a device's `$aws/...` filter, mounted.
      mount?.subscribed(client, topic, subscription.qos);
      callback(null, { ...subscription, topic });
      return;
    }
    onDenied(client.id, subscription.topic);
    // [MQTT-3.9.3] a refused subscription is answered with a failure return code (0x80) in the SUBACK.
    callback(null, null);
  };
}
