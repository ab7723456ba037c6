/**
 * `npm run bench -- --suite scale`: the most devices this machine holds connected at once, across broker instances
 * and device hosts, for a minute with no reconnect and no failure (target 100,000), and the resident memory per
 * connected device at both ends. It loads the whole machine for several minutes, so it runs only when asked for.
 */
import { benchHeader, writeBenchJson } from './bench-output.js';
import { fleetCapacity } from './fleet-capacity.js';
import { benchMachine } from './machine-settings.js';
import { measureScale } from './scale-bench.js';

export interface ScaleSuiteSettings {
  'scale-devices': string;
  'broker-instances'?: string | undefined;
  'device-hosts'?: string | undefined;
  agents?: string | undefined;
  'scale-hold': string;
  concurrency: string;
  out: string;
}

export const CONNECTED_AT_ONCE_TARGET = 100_000;
const MEMORY_TARGET_BYTES = 100 * 1024;

export async function runScaleSuite(values: ScaleSuiteSettings, log: (line: string) => void): Promise<void> {
  const machine = benchMachine();
  const devices = Number(values['scale-devices']);
  // Unless told otherwise, the fewest processes per side whose open files hold the fleet.
  const fewest = fleetCapacity(devices, 1, 1, machine).devicesPerProcess;
  const atLeast = Math.max(1, Math.ceil(devices / fewest));
  const brokerInstances = Number(values['broker-instances'] ?? atLeast);
  // The devices on agents (certfleet agent, --agents N) joined through Redis, as a fleet across machines would be;
  // on device processes of the bench's own (--device-hosts N) when asked.
  const agents = values['device-hosts'] === undefined || values.agents !== undefined;
  const deviceHosts = Number(values.agents ?? values['device-hosts'] ?? atLeast);
  const holdSeconds = Number(values['scale-hold']);
  const header = benchHeader('scale', 'certfleet devices connected at once');
  const scale = await measureScale({ devices, brokerInstances, deviceHosts, agents, concurrency: Number(values.concurrency), holdSeconds, machine, log });
  const held = scale.measured ? scale.connectedAtOnce : 0;
  const memory = scale.measured ? scale.memory.totalBytesPerDevice : undefined;
  const result = {
    ...header,
    machine,
    scale,
    targets: {
      connectedAtOnce: { measured: held, target: CONNECTED_AT_ONCE_TARGET, heldSeconds: holdSeconds, failures: scale.measured ? scale.hold.failures : undefined, met: held >= CONNECTED_AT_ONCE_TARGET && holdSeconds >= 60 && scale.measured && scale.hold.failures === 0 },
      memoryPerDevice: { measuredBytes: memory, atDevices: held, targetBytes: MEMORY_TARGET_BYTES, met: memory !== undefined && memory <= MEMORY_TARGET_BYTES },
    },
  };
  const file = writeBenchJson(values.out, header, result);
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; open files per process ${String(machine.openFilesPerProcess?.hard)}`);
  console.log(`placement: ${brokerInstances} broker instance(s), ${deviceHosts} ${agents ? 'agent(s)' : 'device process(es)'}, ${devices} devices`);
  if (scale.measured) {
    console.log(`connect storm: ${scale.storm.connected} connected in ${Math.round(scale.storm.wallMs / 1000)} s (${scale.storm.perSecond}/s)`);
    console.log(`held ${scale.hold.seconds} s: ${scale.hold.connectedAfter} connected, ${scale.hold.reconnects} reconnects, ${scale.hold.failures} failures; target ${CONNECTED_AT_ONCE_TARGET}: ${result.targets.connectedAtOnce.met ? 'met' : 'MISSED'}`);
    console.log(`memory per connected device: ${Math.round(scale.memory.totalBytesPerDevice / 1024)} KB (broker ${Math.round(scale.memory.brokerBytesPerDevice / 1024)}, devices ${Math.round(scale.memory.deviceBytesPerDevice / 1024)})`);
    console.log(`open files, busiest process: broker side ${scale.openFiles.brokerProcessMost}, device side ${scale.openFiles.deviceProcessMost}`);
  } else {
    console.log(`not measured: ${scale.stoppedBy}`);
  }
  console.log(`written: ${file}`);
}
