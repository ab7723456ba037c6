import { devicesPerProcess, openFilesProblems } from '../sim/run/open-files-budget.js';
import type { BenchMachine } from './machine-settings.js';

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
 * Whether a fleet fits a placement on this machine before anything starts: the open files of each process (as
 * `certfleet run` checks them), and the ephemeral ports, since every device here dials its broker instance from
 * 127.0.0.1 and one client address has only so many ports towards one broker address.
 */
export function fleetCapacity(devices: number, brokerInstances: number, deviceHosts: number, machine: BenchMachine): FleetCapacity {
  const soft = machine.openFilesPerProcess?.soft;
  const limit = soft === undefined || soft === 'unlimited' ? undefined : soft;
  const connectionsPerBrokerAddress = machine.ephemeralPorts?.count ?? Infinity;
  const devicesPerBrokerInstance = Math.ceil(devices / Math.max(1, brokerInstances));
  const problems = openFilesProblems({ devices, deviceProcesses: deviceHosts, brokerProcesses: brokerInstances, limit });
  if (devicesPerBrokerInstance > connectionsPerBrokerAddress) {
    problems.push(`${devicesPerBrokerInstance} devices per broker instance from one client address: only ${connectionsPerBrokerAddress} ephemeral ports; use at least ${Math.ceil(devices / connectionsPerBrokerAddress)} broker instances`);
  }
  return { devicesPerBrokerInstance, devicesPerDeviceHost: Math.ceil(devices / Math.max(1, deviceHosts)), devicesPerProcess: devicesPerProcess(limit), connectionsPerBrokerAddress, problems };
}
