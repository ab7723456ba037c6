import type { BrokerTargetName } from '../scenario/broker-target-schema.js';

/** What a run's manifest, summary and report say about the broker it ran against. */
export interface BrokerDescription {
  target: BrokerTargetName;
  /** The broker's own version (aedes, mosquitto, or what an external broker reports). */
  version: string;
  /** How the broker's clock was set while it judged certificates. */
  clock: string;
}
