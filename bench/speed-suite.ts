/**
 * The speed suite of `npm run bench` (its default): the harness's own speed on this machine, as one JSON file under
 * results/bench/.
 *
 * In one run: openssl speed and the cryptographic ceiling it implies; certificate issuance; the floor of Node's TLS
 * alone; a fleet's connect storm, hold and rotation storm into the embedded broker with CPU and memory per process;
 * the plain mqtt.js baseline against the same broker; the same short scenario run against the embedded broker and the
 * mosquitto target side by side, and what moving Mosquitto's clock costs; and a shortened replay of daa-24h. Every
 * figure sits beside the target it is judged against.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerConfigFrom } from '../broker/broker-config.js';
import { startEmbeddedBroker } from '../broker/embedded-broker.js';
import { gitCommit, machineDescription, packageVersion } from '../sim/results/manifest.js';
import { measureBaseline } from './baseline.js';
import { manufactureBenchFleet, measureFleet } from './fleet-bench.js';
import { measureMosquittoClock } from './mosquitto-clock-bench.js';
import { handshakeCeiling, measureOpensslSpeed, rotationCeiling } from './openssl-speed.js';
import { measureIssuance } from './pki-bench.js';
import { measureReplay } from './replay-bench.js';
import { measureTargets } from './targets-bench.js';
import { measureTlsFloor } from './tls-floor.js';

export interface SpeedSuiteSettings {
  devices: string;
  hold: string;
  'baseline-devices': string;
  'replay-devices': string;
  'replay-days': string;
  'targets-scenario': string;
  'targets-devices': string;
  'targets-days': string;
  'targets-seed': string;
  concurrency: string;
  out: string;
}

export async function runSpeedSuite(values: SpeedSuiteSettings, log: (line: string) => void): Promise<void> {
  const devices = Number(values.devices);
  const holdSeconds = Number(values.hold);
  const baselineDevices = Math.min(devices, Number(values['baseline-devices']));
  const concurrency = Number(values.concurrency);
  const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

  const machine = machineDescription();
  log('openssl speed ecdsap256 ecdhp256');
  const openssl = measureOpensslSpeed(3);
  const connectCeiling = handshakeCeiling(openssl, machine.cores);
  const rotationLimit = rotationCeiling(openssl, machine.cores);
  log('certificate issuance');
  const issuance = await measureIssuance({ durationMs: 4000 });

  log(`manufacturing ${devices} devices`);
  const fleetParts = manufactureBenchFleet(devices);
  log('the floor: Node TLS handshakes alone');
  const floor = await measureTlsFloor(fleetParts, baselineDevices, concurrency);
  log(`${devices} devices: connect storm, ${holdSeconds} s hold, rotation storm (embedded broker)`);
  const fleet = await measureFleet({ fleet: fleetParts, deviceProcesses: 1, workersPerProcess: 1, concurrency, holdSeconds, rotate: true });

  log(`plain mqtt.js baseline, ${baselineDevices} devices (embedded broker)`);
  const baselineBroker = await startEmbeddedBroker(brokerConfigFrom(fleetParts.plan.scenario, fleetParts.pki, 1), () => undefined);
  const baseline = await measureBaseline({ ...fleetParts, broker: baselineBroker, devices: baselineDevices, concurrency });
  await baselineBroker.close();

  log(`broker targets: ${values['targets-scenario']}, ${values['targets-devices']} devices, ${values['targets-days']} simulated days, embedded then mosquitto`);
  const brokerTargets = await measureTargets({
    scenario: values['targets-scenario'],
    devices: Number(values['targets-devices']),
    days: Number(values['targets-days']),
    seed: Number(values['targets-seed']),
    workers: 1,
    targets: ['embedded', 'mosquitto'],
    log,
  });

  log('the mosquitto target: moving its clock, reloads and restarts');
  const mosquittoClock = await measureMosquittoClock({ connects: 200, moves: 500 }).catch((error: unknown) => ({ measured: false, reason: (error as Error).message }));

  log(`replay: daa-24h, ${values['replay-devices']} devices, ${values['replay-days']} simulated days`);
  const replay = await measureReplay({ scenario: 'daa-24h', devices: Number(values['replay-devices']), days: Number(values['replay-days']), workers: 1 });

  const judged = (measured: number, target: number, accepted: number) => ({ measured, target, accepted, met: measured >= accepted, goalMet: measured >= target });
  const result = {
    benchmark: 'certfleet scale and speed',
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    tool: { version: packageVersion(), commit: gitCommit() },
    node: process.version,
    nodeOpenssl: process.versions.openssl,
    machine,
    placement: 'broker (aedes + CA) in the main process; devices in one child process with one worker thread; the baseline and the TLS floor client in their own processes',
    openssl,
    ceiling: {
      connect: { ...connectCeiling, note: 'openssl speed per-core rates times the cores of this machine, both ends of every handshake on this machine' },
      rotation: { ...rotationLimit, note: 'a full connect plus the device key generation (1 ECDH-equivalent), CSR signature and CA check, and certificate signature' },
    },
    issuance: { ...issuance, note: 'one thread; EC P-256 device certificates from an EC P-256 CA (DER writer + node:crypto sign); csr = parse + verify + issue' },
    tlsFloor: { ...floor, fractionOfCeiling: round(floor.perSecond / connectCeiling.connectsPerSecond) },
    fleet,
    baseline: { ...baseline, devices: baselineDevices, note: 'one mqtt.js client per device (mqtts, own key and certificate, context built per connect), same broker, same concurrency, in its own process, no check of the broker chain' },
    brokerTargets,
    mosquittoClock,
    replay,
    targets: {
      connectsPerSecond: { ...judged(fleet.connects.perSecond, 1000, 600), fractionOfCeiling: round(fleet.connects.perSecond / connectCeiling.connectsPerSecond), fractionOfTlsFloor: round(fleet.connects.perSecond / Math.max(floor.perSecond, 1)) },
      rotationsPerSecond: { ...judged(fleet.rotations?.perSecond ?? 0, 500, 300), fractionOfCeiling: round((fleet.rotations?.perSecond ?? 0) / rotationLimit.rotationsPerSecond) },
      connectedAtOnce: { measured: fleet.hold.connectedAfter, target: 15_000, heldSeconds: holdSeconds, reconnectsDuringHold: fleet.hold.reconnects, met: fleet.hold.connectedAfter >= 15_000 && fleet.hold.reconnects === 0 },
      memoryPerDevice: { measuredBytes: fleet.memory.totalBytesPerDevice, targetBytes: 100 * 1024, met: (fleet.memory.totalBytesPerDevice ?? Infinity) <= 100 * 1024 },
      replayDaa24h30Days: { projectedWallSeconds: replay.projectedWallSecondsFor30Days, targetWallSeconds: 600, met: replay.projectedWallSecondsFor30Days <= 600, note: `projected from ${replay.simulatedDays} simulated days` },
      ratioToBaseline: { measured: round(fleet.connects.perSecond / Math.max(baseline.perSecond, 1), 2), accepted: 2, met: fleet.connects.perSecond >= 2 * baseline.perSecond },
    },
  };
  mkdirSync(values.out, { recursive: true });
  const file = join(values.out, `${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

  const t = result.targets;
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${process.version} (OpenSSL ${process.versions.openssl})`);
  console.log(`openssl speed: ECDSA P-256 ${openssl.ecdsaP256SignPerSecond} sign/s, ${openssl.ecdsaP256VerifyPerSecond} verify/s; ECDH P-256 ${openssl.ecdhP256PerSecond}/s; ceiling ${connectCeiling.connectsPerSecond} connects/s, ${rotationLimit.rotationsPerSecond} rotations/s`);
  console.log(`issuance: ${Math.round(issuance.certificatesPerSecond)} certificates/s, ${Math.round(issuance.csrRoundTripsPerSecond)} CSR sign/s (one thread)`);
  console.log(`Node TLS floor: ${floor.perSecond} handshakes/s (${floor.cpuMsPerHandshake.total} ms CPU each)`);
  console.log(`connects: ${fleet.connects.perSecond}/s over ${fleet.connects.operations} devices (${fleet.connects.failures} failed; ms CPU each: broker ${fleet.connects.cpuMsPerOperation.broker}, devices ${fleet.connects.cpuMsPerOperation.devices}) target 1000, accepted 600: ${t.connectsPerSecond.met ? 'met' : 'MISSED'}`);
  console.log(`rotations: ${fleet.rotations?.perSecond}/s (${fleet.rotations?.failures} failed, p50 ${fleet.rotations?.latencyMs.p50} ms) target 500, accepted 300: ${t.rotationsPerSecond.met ? 'met' : 'MISSED'}`);
  console.log(`held: ${fleet.hold.connectedAfter} connected for ${holdSeconds} s, ${fleet.hold.reconnects} reconnects; memory ${Math.round((fleet.memory.totalBytesPerDevice ?? 0) / 1024)} KB per device (broker ${Math.round((fleet.memory.brokerBytesPerDevice ?? 0) / 1024)}, devices ${Math.round(fleet.memory.deviceBytesPerDevice / 1024)})`);
  console.log(`baseline: plain mqtt.js ${baseline.perSecond} connects/s; certfleet/baseline = ${t.ratioToBaseline.measured}`);
  for (const target of ['embedded', 'mosquitto'] as const) {
    const run = brokerTargets[target];
    if (run && 'epochs' in run) console.log(`${target}: ${run.connects.perSecond} connects/s, ${run.rotations.perSecond} rotations/s, device CPU ${run.cpuMsPerConnect.devices} ms per connect, ${run.epochs} epochs at ${run.wallMsPerEpoch} ms each`);
    else console.log(`${target}: not measured (${run?.reason ?? 'not run'})`);
  }
  console.log(`replay daa-24h: ${replay.rotationsSucceeded} rotations in ${replay.wallSeconds} s (${replay.rotationsPerWallSecond}/s); 30 days projected ${replay.projectedWallSecondsFor30Days} s`);
  console.log(`written: ${file}`);
}
