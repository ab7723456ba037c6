import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { BrokerEvent, SessionsDropped } from '../sim/plan/fleet-plan.js';
import type { BrokerConfig } from './broker-config.js';
import type { BrokerTarget } from './broker-target.js';

/**
 * A broker certfleet neither starts nor steers (broker.target external): a team's Mosquitto, EMQX, HiveMQ or a cloud
 * endpoint, on its own real clock. The scenario check (sim/scenario/target-support.ts) refuses everything certfleet
 * would have to do to it (chain switches, revocations, restarts, another clock), so only faults remain, and those
 * happen on the devices' side.
 */
export function externalBrokerTarget(config: BrokerConfig, address: { host: string; port: number }, onEvent: (event: FleetEvent) => void): BrokerTarget {
  return {
    host: address.host,
    port: address.port,
    describe: () => ({ target: 'external', version: 'not known to certfleet (a broker it neither starts nor steers)', clock: 'its own real clock: the run is on real time' }),
    applyEvent(event: BrokerEvent): SessionsDropped {
      const fault = event.kind === 'fault-start' || event.kind === 'fault-end' ? config.faults.planned[event.fault] : undefined;
      if (event.kind === 'fault-start') {
        if (fault) onEvent({ type: 'fault.start', t: event.at, fault: fault.index, kind: fault.kind, label: fault.label });
        // A partition's sessions die with their TCP connections; the broker notices by keepalive, the devices at once.
        return event.clientIds ? { clientIds: [...event.clientIds] } : {};
      }
      if (event.kind === 'fault-end' && fault) onEvent({ type: 'fault.end', t: event.at, fault: fault.index, kind: fault.kind });
      return {};
    },
    // The broker reads its own clock, which is the timeline's on a real-time run.
    setEpoch: () => undefined,
    nextVerdictChangeAfter: () => Infinity,
    certificateIssued: () => undefined,
    close: async () => undefined,
  };
}
