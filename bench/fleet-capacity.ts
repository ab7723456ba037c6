import type { BenchMachine } from './machine-settings.js';

/** Files a process holds besides its devices' sockets: Node itself, worker threads, IPC pipes, the backend's link. */
export const OTHER_OPEN_FILES = 500;

export interface FleetCapacity {
  devicesPerBrokerInstance: number;
  devicesPerDeviceHost: number;
  /** The most devices one process can hold here: its open-files limit less what it holds besides. */
  devicesPerProcess: number;
  /** Connections from one client address to one broker address: the ephemeral ports. */
  connectionsPerBrokerAddress: number;
  /** Why this placement cannot hold the fleet on this machine, one line each; empty when it can. */
  problems: string[];
}

/**
 * Whether a fleet fits a placement on this machine before anything starts: every connected device is one socket in a
 * device process and one in a broker process, and a process may hold only so many open files (20,000 here, a hard
 * limit), so a placement that cannot hold the fleet would end in a storm of refused connects, not in a measurement.
 */
export function fleetCapacity(devices: number, brokerInstances: number, deviceHosts: number, machine: BenchMachine): FleetCapacity {
  const hard = machine.openFilesPerProcess?.soft;
  const devicesPerProcess = hard === undefined || hard === 'unlimited' ? Infinity : hard - OTHER_OPEN_FILES;
  const connectionsPerBrokerAddress = machine.ephemeralPorts?.count ?? Infinity;
  const devicesPerBrokerInstance = Math.ceil(devices / Math.max(1, brokerInstances));
  const devicesPerDeviceHost = Math.ceil(devices / Math.max(1, deviceHosts));
  const problems: string[] = [];
  const atLeast = (perProcess: number) => Math.ceil(devices / perProcess);
  if (devicesPerBrokerInstance > devicesPerProcess) {
    problems.push(`${devicesPerBrokerInstance} devices per broker instance: one process holds at most ${devicesPerProcess} (open files ${String(hard)} less ${OTHER_OPEN_FILES}); use at least ${atLeast(devicesPerProcess)} broker instances`);
  }
  if (devicesPerDeviceHost > devicesPerProcess) {
    problems.push(`${devicesPerDeviceHost} devices per device host: one process holds at most ${devicesPerProcess} (open files ${String(hard)} less ${OTHER_OPEN_FILES}); use at least ${atLeast(devicesPerProcess)} device hosts`);
  }
  if (devicesPerBrokerInstance > connectionsPerBrokerAddress) {
    problems.push(`${devicesPerBrokerInstance} devices per broker instance from one client address: only ${connectionsPerBrokerAddress} ephemeral ports; use at least ${atLeast(connectionsPerBrokerAddress)} broker instances`);
  }
  return { devicesPerBrokerInstance, devicesPerDeviceHost, devicesPerProcess, connectionsPerBrokerAddress, problems };
}
