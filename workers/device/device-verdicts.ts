import type { ScenarioCohort } from '../../sim/scenario/schema.js';
import type { DeviceClock } from '../../sim/time/device-clock.js';
import type { TrustStore } from '../../sim/trust/trust-store.js';
import type { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate, Verdict } from '../../sim/verify/types.js';
import { verifyChainAt } from '../../sim/verify/verify-chain.js';
import type { Credentials } from './credentials.js';

/** The device's verdict on the chain the broker presented: its clock, its trust store, its cohort's policy. */
export function judgeBroker(input: {
  chain: ParsedCertificate[];
  t: number;
  clock: DeviceClock;
  trust: TrustStore;
  cohort: ScenarioCohort;
  serverName: string;
  pool: CertificatePool;
}): Verdict {
  const [leaf, ...presented] = input.chain;
  if (!leaf) return { cause: 'untrusted_root', certificateCause: 'untrusted_root', path: [], clockSkewMs: input.clock.skew(input.t) };
  const judgeWith = (anchors: readonly ParsedCertificate[]) =>
    verifyChainAt({
      leaf,
      presented,
      anchors,
      at: input.clock.read(input.t),
      trueTime: input.t,
      policy: { pathBuilding: input.cohort.pathBuilding, anchorExpiry: input.cohort.anchorExpiry },
      purpose: 'serverAuth',
      hostname: input.serverName,
      pins: input.trust.pins.length > 0 ? input.trust.pins : undefined,
      pool: input.pool,
    });
  const verdict = judgeWith(input.trust.anchorsAt(input.t));
  const removed = input.trust.removedAt(input.t);
  if (verdict.cause !== 'untrusted_root' || removed.length === 0) return verdict;
  // A root the device trusted until an update removed it, though it has not expired (DigiCert G1, Mozilla's
  // root-age rule): not the same failure as a root the device never had.
  const withRemoved = judgeWith([...input.trust.anchorsAt(input.t), ...removed]);
  return withRemoved.cause === 'ok' ? { ...withRemoved, cause: 'root_distrusted', certificateCause: 'untrusted_root' } : verdict;
}

/** The device checks a certificate it was given before using it: its issuer, its purpose, its dates at its clock. */
export function judgeOwnCertificate(input: {
  credentials: Credentials;
  t: number;
  clock: DeviceClock;
  anchors: readonly ParsedCertificate[];
  pool: CertificatePool;
}): Verdict {
  return verifyChainAt({
    leaf: input.credentials.certificate,
    presented: input.credentials.chainPems.flatMap((pem) => input.pool.parsePem(pem)),
    anchors: input.anchors,
    at: input.clock.read(input.t),
    trueTime: input.t,
    policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
    purpose: 'clientAuth',
    pool: input.pool,
  });
}
