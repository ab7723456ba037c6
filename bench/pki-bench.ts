/**
 * PKI throughput on one thread: EC P-256 device certificates issued by an EC P-256 intermediate, and the CA side
 * of a rotation (parseCsr + signature check + issue, i.e. `signCsr`). Keys and CSRs are prepared before timing.
 */
import { performance } from 'node:perf_hooks';
import { CertificateAuthority, createCsr, generateKeyPair, type KeyPair } from '../sim/pki/index.js';

export interface IssuanceMeasurement {
  certificatesPerSecond: number;
  csrRoundTripsPerSecond: number;
  keyAlgorithm: string;
}

const POOL = 256;
const DAY = 86_400_000;

function runFor(durationMs: number, step: (i: number) => void): number {
  // A short warm-up so JIT compilation does not count against the measured window.
  for (let i = 0; i < 200; i++) step(i);
  const start = performance.now();
  let count = 0;
  let now = start;
  while (now - start < durationMs) {
    for (let k = 0; k < 50; k++) step(count++);
    now = performance.now();
  }
  return (count * 1000) / (now - start);
}

/** Half of `durationMs` goes to each measurement. */
export async function measureIssuance(opts: { durationMs: number }): Promise<IssuanceMeasurement> {
  const notBefore = Date.UTC(2030, 0, 1);
  const root = CertificateAuthority.selfSigned({
    subject: { O: 'certfleet bench', CN: 'Bench Root' },
    keyPair: generateKeyPair('ec-p256'),
    notBefore,
    notAfter: notBefore + 3650 * DAY,
  });
  const interKeys = generateKeyPair('ec-p256');
  const inter = root.issue({
    subject: { O: 'certfleet bench', CN: 'Bench Intermediate' },
    publicKey: interKeys.publicKey,
    profile: 'intermediate-ca',
    notBefore,
    notAfter: notBefore + 1825 * DAY,
    pathLength: 0,
  });
  const ca = new CertificateAuthority({ certificateDer: inter.der, privateKey: interKeys.privateKey });

  const devices: KeyPair[] = Array.from({ length: POOL }, () => generateKeyPair('ec-p256'));
  const csrs = devices.map((keyPair, i) => createCsr({ subject: { O: 'certfleet bench', CN: `device-${i}` }, keyPair }));

  const half = opts.durationMs / 2;
  const certificatesPerSecond = runFor(half, (i) => {
    const device = devices[i % POOL] as KeyPair;
    ca.issue({
      subject: { O: 'certfleet bench', CN: `device-${i}` },
      publicKey: device.publicKey,
      profile: 'device',
      notBefore,
      notAfter: notBefore + 30 * DAY,
    });
  });
  const csrRoundTripsPerSecond = runFor(half, (i) => {
    const result = ca.signCsr(csrs[i % POOL] as Buffer, {
      notBefore,
      notAfter: notBefore + 30 * DAY,
      profile: 'device',
      expectedCommonName: `device-${i % POOL}`,
    });
    if (!result.ok) throw new Error(`bench CSR rejected: ${result.reason}`);
  });
  return { certificatesPerSecond: Math.round(certificatesPerSecond), csrRoundTripsPerSecond: Math.round(csrRoundTripsPerSecond), keyAlgorithm: 'ec-p256' };
}
