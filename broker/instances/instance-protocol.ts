import type { FleetEvent } from '../../sim/events/fleet-event.js';
import type { RedisAddress } from '../../sim/redis/redis-url.js';
import { emptyConnectionCuts, type BrokerStats } from '../../sim/stats/broker-stats.js';
import type { BrokerConfig } from '../broker-config.js';
import type { SessionRole } from '../device-admission.js';

/**
 * The protocol between the coordinator and a broker instance (broker/instances/broker-instance-process.ts), a child
 * process that does TLS, MQTT and the topic policy for its share of the devices. The registers (registry,
 * revocations, capacity, accepted authorities) stay in the coordinator: the instance asks it for every admission
 * verdict and tells it which admitted connections closed. Connections are numbered by the instance.
 */
export type ToBrokerInstance =
  | {
      type: 'start';
      instance: number;
      config: BrokerConfig;
      /** The port to listen on: 0 for any at first, the same one when the instance is restarted. */
      port: number;
      redis: RedisAddress;
      /** Prefixes every topic routed through Redis: two runs on one Redis never mix. */
      channelPrefix: string;
    }
  | { type: 'verdict'; request: number; returnCode?: 3 | 5 | undefined; role?: SessionRole | undefined }
  | { type: 'epoch'; request: number; from: number; to: number }
  | { type: 'server-certificate'; use: string }
  /** Close these connections, or every device session ('all'), those still live; answered with their client ids. */
  | { type: 'close'; request: number; connections: number[] | 'all' }
  | { type: 'stop'; request: number };

export type FromBrokerInstance =
  | { type: 'ready'; port: number }
  | { type: 'admit'; request: number; connection: number; clientId: string; username?: string | undefined; chain: Uint8Array[] }
  /** An admitted connection's socket closed (`sessionEnded`: aedes has let its session go too). */
  | { type: 'closed'; connection: number; clientId: string; sessionEnded: boolean }
  | { type: 'events'; events: FleetEvent[] }
  | { type: 'done'; request: number; stats: InstanceStats; clientIds?: string[] | undefined }
  /** Its counts, sent when they changed (at most once a second): live between epochs, and little lost if it dies. */
  | { type: 'stats'; stats: InstanceStats }
  | { type: 'failed'; message: string };

/** What an instance counts itself: topic-policy denials, cuts, TLS errors and its live device sessions. */
export type InstanceStats = Pick<BrokerStats, 'topicDenied' | 'connectionsCut' | 'tlsErrors' | 'connected'>;

export function noInstanceStats(): InstanceStats {
  return { topicDenied: 0, connectionsCut: emptyConnectionCuts(), tlsErrors: 0, connected: 0 };
}

/** Two instances' counts together (their live sessions too). */
export function addInstanceStats(a: InstanceStats, b: InstanceStats): InstanceStats {
  const connectionsCut = emptyConnectionCuts();
  for (const reason of Object.keys(connectionsCut) as (keyof typeof connectionsCut)[]) {
    connectionsCut[reason] = a.connectionsCut[reason] + b.connectionsCut[reason];
  }
  return { topicDenied: a.topicDenied + b.topicDenied, connectionsCut, tlsErrors: a.tlsErrors + b.tlsErrors, connected: a.connected + b.connected };
}
