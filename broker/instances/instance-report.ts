/** What `broker-instances.json` in a run folder says of each broker instance (docs/architecture.md, "Broker instances"). */
export interface InstanceReport {
  instance: number;
  host: string;
  port: number;
  /** The instance's process ids, in order: more than one when it died and was restarted. */
  pids: number[];
  /** Device CONNECTs it admitted. */
  admitted: number;
  /** The devices it admitted, sorted (the first MAX_LISTED_DEVICES), and how many in all. */
  devices: string[];
  devicesTotal: number;
  /** Whether the backend's session was on this instance. */
  backend: boolean;
  /** Each time its process died and was restarted: the true time recorded, and the device sessions it held. */
  restarts: { t: string; reason: string; sessions: number }[];
}

/** Enough to see which instance a small fleet's devices used; a large fleet's are counted. */
export const MAX_LISTED_DEVICES = 1000;

/** Per-instance tallies as the coordinator admits connections, for the report. */
export class InstanceTally {
  admitted = 0;
  backend = false;
  readonly devices = new Set<string>();
  readonly restarts: InstanceReport['restarts'] = [];

  report(instance: number, address: { host: string; port: number }, pids: number[]): InstanceReport {
    const devices = [...this.devices].sort();
    return {
      instance,
      host: address.host,
      port: address.port,
      pids: [...pids],
      admitted: this.admitted,
      devices: devices.slice(0, MAX_LISTED_DEVICES),
      devicesTotal: devices.length,
      backend: this.backend,
      restarts: [...this.restarts],
    };
  }
}
