/**
 * `npm run bench`: certificates issued per second, mutual-TLS connects per second and rotations per second for a
 * fleet, next to this machine's `openssl speed` figures from the same run, written as one JSON file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gitCommit, machineDescription, packageVersion } from '../sim/results/manifest.js';
import { measureFleet } from './fleet-bench.js';
import { handshakeCeiling, measureOpensslSpeed } from './openssl-speed.js';
import { measureIssuance } from './pki-bench.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    workers: { type: 'string', default: String(Math.max(1, availableParallelism() - 1)) },
    concurrency: { type: 'string', default: '64' },
    out: { type: 'string', default: join('results', 'bench') },
  },
});
const devices = Number(values.devices);
const workers = Number(values.workers);
const concurrency = Number(values.concurrency);

const machine = machineDescription();
process.stderr.write('bench: openssl speed ecdsap256 ecdhp256\n');
const openssl = measureOpensslSpeed(3);
process.stderr.write('bench: certificate issuance\n');
const issuance = await measureIssuance({ durationMs: 4000 });
process.stderr.write(`bench: ${devices} devices connect, then rotate\n`);
const fleet = await measureFleet({ devices, workers, concurrency });
const ceiling = handshakeCeiling(openssl, machine.cores);

const result = {
  benchmark: 'certfleet core',
  date: new Date().toISOString(),
  tool: { version: packageVersion(), commit: gitCommit() },
  node: process.version,
  nodeOpenssl: process.versions.openssl,
  machine,
  openssl,
  issuance: {
    ...issuance,
    note: 'one thread; EC P-256 device certificates from an EC P-256 CA (DER writer + node:crypto sign); csr = parse + verify + issue',
  },
  fleet,
  ceiling: {
    ...ceiling,
    note: 'openssl speed per-core rates times the cores of this machine, both ends of every handshake on this machine',
    connectsFractionOfCeiling: Math.round((fleet.connects.perSecond / ceiling.connectsPerSecond) * 1000) / 1000,
  },
};
mkdirSync(values.out, { recursive: true });
const file = join(values.out, `${result.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${process.version}`);
console.log(`openssl speed: ECDSA P-256 ${openssl.ecdsaP256SignPerSecond} sign/s, ${openssl.ecdsaP256VerifyPerSecond} verify/s; ECDH P-256 ${openssl.ecdhP256PerSecond}/s`);
console.log(`issuance: ${Math.round(issuance.certificatesPerSecond)} certificates/s, ${Math.round(issuance.csrRoundTripsPerSecond)} CSR sign/s (one thread)`);
console.log(
  `fleet of ${devices} (${workers} worker${workers === 1 ? '' : 's'}): ${fleet.connects.perSecond} connects/s ` +
    `(${fleet.connects.failures} failed, ${fleet.connects.cpuMsPerOperation} ms CPU each), ${fleet.rotations.perSecond} rotations/s ` +
    `(${fleet.rotations.failures} failed, p50 ${fleet.rotations.latencyMs.p50} ms, p99 ${fleet.rotations.latencyMs.p99} ms)`,
);
console.log(`crypto ceiling: ${ceiling.connectsPerSecond} connects/s on ${machine.cores} cores; measured ${result.ceiling.connectsFractionOfCeiling} of it`);
console.log(`written: ${file}`);
