import type { BrokerTargetName } from '../scenario/broker-target-schema.js';

/** What a run's manifest, summary and report say about the broker it ran against. */
export interface BrokerDescription {
  target: BrokerTargetName;
  /** The broker's own version (aedes, mosquitto, or what an external broker reports). */
  version: string;
  /** How the broker's clock was set while it judged certificates. */
  clock: string;
  /**
   * Where the broker listened, for a broker the run started (embedded, mosquitto): its address and port, the address
   * this host's devices dialled and the one devices on other hosts were told to dial (docs/distributed-runs.md).
   */
  listen?: { address: string; port: number; dial: string; advertise: string };
}
