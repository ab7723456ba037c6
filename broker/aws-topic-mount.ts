import type { AedesPublishPacket, Client } from 'aedes';
import { AWS_RESERVED_PREFIX, mountAwsTopic, unmountAwsTopic } from '../sim/device-api/topics.js';

/**
 * AWS IoT answers a request on its reserved topics (`$aws/certificates/create-from-csr/json/accepted`, ...) to the
 * client that asked, not to every subscriber of the topic
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html). A broker whose backend is an
 * MQTT client gets the same routing from a per-client mount point (EMQX's `mountpoint = "devices/${clientid}/"`):
 * client X's `$aws/<rest>` is `devices/X/$aws/<rest>` inside the broker, where the topic policy already confines X,
 * and X is sent it under the name it subscribed to.
 */

/** A device's topic or filter as the broker keeps it: `$aws/<rest>` mounted under the client's prefix. */
export function mountedForClient(clientId: string, topic: string): string {
  // A client id that could name more than one level, or a wildcard, mounts nowhere: the policy then refuses it.
  if (!topic.startsWith(AWS_RESERVED_PREFIX) || /[/+#]/.test(clientId) || clientId.length === 0) return topic;
  return mountAwsTopic(clientId, topic);
}

/**
 * The granted QoS of each client's mounted `$aws/...` subscriptions, and the aedes `authorizeForward` hook that
 * sends client X a message on `devices/X/$aws/<rest>` as `$aws/<rest>`.
 */
export class AwsTopicMount {
  readonly #granted = new WeakMap<Client, Map<string, number>>();

  /** A device subscribed to a mounted filter with this QoS (the topic policy's subscribe hook tells). */
  subscribed(client: Client, mountedFilter: string, qos: number): void {
    if (unmountAwsTopic(client.id, mountedFilter) === undefined) return;
    let granted = this.#granted.get(client);
    if (!granted) this.#granted.set(client, (granted = new Map()));
    granted.set(mountedFilter, qos);
  }

  /**
   * Renamed to the client's `$aws/<rest>`, at no higher QoS than it subscribed with ([MQTT-3.8.4-6]: aedes looks the
   * subscription up by the topic it sends, which is no longer the mounted one). Every other message is forwarded as
   * it is. The packet is shared by every recipient, so a renamed one is a copy.
   */
  readonly forward = (client: Client, packet: AedesPublishPacket): AedesPublishPacket => {
    const named = unmountAwsTopic(client.id, packet.topic);
    if (named === undefined) return packet;
    const granted = this.#granted.get(client)?.get(packet.topic) ?? packet.qos;
    return { ...packet, topic: named, qos: Math.min(packet.qos, granted) as AedesPublishPacket['qos'] };
  };
}
