/**
 * `npm run bench -- --suite overhead`: connects and rotations per second, and the wall of an epoch in which nothing is
 * due, for the same fleet over 1, 2 and 4 agents (or device processes) and 1, 2 and 4 broker instances. On a machine of two cores more
 * processes cannot be faster: what the figures show is what coordinating them costs, per connect (CPU) and per epoch
 * (wall), against the single-machine run of one device process and one broker.
 */
import { benchHeader, writeBenchJson } from './bench-output.js';
import { benchMachine } from './machine-settings.js';
import { measureOverhead, type OverheadPlacement } from './overhead-bench.js';

export interface OverheadSuiteSettings {
  'overhead-devices': string;
  'overhead-hosts': string;
  'overhead-instances': string;
  /** agents (default) or device-processes. */
  'overhead-hosts-are': string;
  'empty-epochs': string;
  concurrency: string;
  out: string;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const counts = (list: string) => list.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);

export async function runOverheadSuite(values: OverheadSuiteSettings, log: (line: string) => void): Promise<void> {
  const machine = benchMachine();
  const devices = Number(values['overhead-devices']);
  const emptyEpochs = Number(values['empty-epochs']);
  const concurrency = Number(values.concurrency);
  const header = benchHeader('overhead', 'certfleet coordination overhead over device hosts and broker instances');
  const agents = values['overhead-hosts-are'] !== 'device-processes';
  // First the single-machine run (one device process, one broker, no Redis): what every overhead is measured against.
  const placements: OverheadPlacement[] = [{ deviceHosts: 1, agents: false, brokerInstances: 1 }];
  for (const brokerInstances of counts(values['overhead-instances'])) {
    for (const deviceHosts of counts(values['overhead-hosts'])) {
      if (agents || deviceHosts > 1 || brokerInstances > 1) placements.push({ deviceHosts, agents, brokerInstances });
    }
  }
  const runs = [];
  for (const placement of placements) {
    log(`overhead: ${devices} devices, ${placement.deviceHosts} ${placement.agents ? 'agent(s)' : 'device process(es)'}, ${placement.brokerInstances} broker instance(s)`);
    runs.push(await measureOverhead({ ...placement, devices, emptyEpochs, concurrency, log }).catch((error: unknown) => ({ ...placement, measured: false as const, reason: (error as Error).message })));
  }
  const baseline = runs[0]?.measured ? runs[0] : undefined;
  const withOverhead = runs.map((run) =>
    run.measured && baseline?.measured
      ? {
          ...run,
          overhead: {
            cpuMsPerConnect: round(run.connects.cpuMsPerConnect - baseline.connects.cpuMsPerConnect),
            cpuMsPerRotation: round(run.rotations.cpuMsPerRotation - baseline.rotations.cpuMsPerRotation),
            wallMsPerEpoch: round(run.emptyEpochs.wallMsMedian - baseline.emptyEpochs.wallMsMedian),
          },
        }
      : run,
  );
  const result = {
    ...header,
    machine,
    settings: { devices, emptyEpochs, deviceHostsAre: agents ? 'agents' : 'device processes', concurrencyPerWorker: concurrency, workersPerDeviceHost: 1, seed: 1 },
    how: {
      scenario: 'bench-fleet (bench/fleet-bench.ts): every device connects at the start, renews 30 minutes in (CSR over MQTT), then one epoch a minute in which nothing is due (a change of the broker\'s device authorities that adds and removes none)',
      run: 'runScenario, as certfleet run does: the first run is the single-machine run (one device process, one broker, no Redis); the others --redis with --agents N (certfleet agent processes this bench starts, one worker each) or --device-processes N, and --broker-instances B; run folders in a temporary directory',
      connects: 'connect attempts per wall second of the first epoch (the connect storm)',
      rotations: 'rotations succeeded per wall second of the rotation epoch; each ends with a full mutual-TLS reconnect',
      cpu: 'CPU (user + system, /proc) of this process and every process below it over the same epoch, per operation',
      emptyEpochs: 'median wall and CPU of an epoch in which nothing is due: the coordinator opens it, every device host and broker instance answers',
      overhead: 'against the single-machine run: extra CPU per connect and per rotation, extra wall per empty epoch',
    },
    runs: withOverhead,
  };
  const file = writeBenchJson(values.out, header, result);
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; ${devices} devices`);
  console.log('hosts(a=agents) instances  connects/s  ms CPU/connect  rotations/s  ms CPU/rotation  empty epoch ms  overhead: ms CPU/connect, ms/epoch');
  for (const run of withOverhead) {
    if (!run.measured) {
      console.log(`${run.deviceHosts}${run.agents ? 'a' : ''} ${run.brokerInstances}  not measured: ${run.reason}`);
      continue;
    }
    const extra = 'overhead' in run ? `${run.overhead.cpuMsPerConnect}, ${run.overhead.wallMsPerEpoch}` : '';
    console.log(`${run.deviceHosts}${run.agents ? 'a' : ''} ${run.brokerInstances}  ${run.connects.perSecond}  ${run.connects.cpuMsPerConnect}  ${run.rotations.perSecond}  ${run.rotations.cpuMsPerRotation}  ${run.emptyEpochs.wallMsMedian}  ${extra}`);
  }
  console.log(`written: ${file}`);
}
