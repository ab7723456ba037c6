import { execFileSync } from 'node:child_process';

/** `openssl speed` figures for the primitives of an EC mutual-TLS handshake, per second on one core. */
export interface OpensslSpeed {
  command: string;
  version: string;
  ecdsaP256SignPerSecond: number;
  ecdsaP256VerifyPerSecond: number;
  ecdhP256PerSecond: number;
}

export function measureOpensslSpeed(seconds: number): OpensslSpeed {
  const args = ['speed', '-seconds', String(seconds), 'ecdsap256', 'ecdhp256'];
  const output = execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const ecdsa = /256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)/.exec(output);
  const ecdh = /256 bits ecdh \(nistp256\)\s+\S+\s+([\d.]+)/.exec(output);
  if (!ecdsa || !ecdh) throw new Error(`could not read the output of openssl ${args.join(' ')}`);
  return {
    command: `openssl ${args.join(' ')}`,
    version: execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim(),
    ecdsaP256SignPerSecond: Number(ecdsa[1]),
    ecdsaP256VerifyPerSecond: Number(ecdsa[2]),
    ecdhP256PerSecond: Number(ecdh[1]),
  };
}

/**
 * The cryptographic ceiling of full EC P-256 mutual-TLS connects per second on `cores` cores, both ends on this
 * machine, counting per connect: 2 signatures (each side's CertificateVerify), 6 verifications (each side checks the
 * peer's CertificateVerify, the peer leaf in OpenSSL and the peer leaf again at the simulated clock) and 4 ECDH
 * operations (key generation and derivation on each side, key generation counted as a full operation).
 */
export function handshakeCeiling(speed: OpensslSpeed, cores: number) {
  const operations = { signs: 2, verifies: 6, ecdh: 4 };
  const cpuSecondsPerConnect =
    operations.signs / speed.ecdsaP256SignPerSecond +
    operations.verifies / speed.ecdsaP256VerifyPerSecond +
    operations.ecdh / speed.ecdhP256PerSecond;
  return { operationsPerConnect: operations, connectsPerSecond: Math.round(cores / cpuSecondsPerConnect) };
}

/**
 * The cryptographic ceiling of complete rotations per second: a full connect (above) plus the new key (one ECDH-
 * equivalent key generation), the device's CSR signature, the CA's check of it and the CA's certificate signature.
 */
export function rotationCeiling(speed: OpensslSpeed, cores: number) {
  const operations = { signs: 2 + 2, verifies: 6 + 1, ecdh: 4 + 1 };
  const cpuSecondsPerRotation =
    operations.signs / speed.ecdsaP256SignPerSecond +
    operations.verifies / speed.ecdsaP256VerifyPerSecond +
    operations.ecdh / speed.ecdhP256PerSecond;
  return { operationsPerRotation: operations, rotationsPerSecond: Math.round(cores / cpuSecondsPerRotation) };
}
