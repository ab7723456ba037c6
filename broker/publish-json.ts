import type { BrokerLink } from './backend/broker-link.js';

/** Publishes a JSON payload from the backend (QoS 1 on the link: resolves once the broker has taken it in). */
export function publishJson(link: BrokerLink, topic: string, body: unknown): Promise<void> {
  return link.publish(topic, JSON.stringify(body));
}
