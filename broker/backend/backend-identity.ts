import { generateKeyPair } from '../../sim/pki/index.js';
import { authorityFromPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import type { CertificatePool } from '../../sim/verify/certificate-pool.js';

/** The client id (and CN) the backend connects with. */
export const BACKEND_CLIENT_ID = 'certfleet-backend';

/** A year either side of the timeline: the backend's session must never be the thing a scenario's clock tests. */
const MARGIN_MS = 365 * 86_400_000;

export interface BackendIdentity {
  clientId: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  certificatePem: string;
  /** The issuing authority's chain sent after the leaf, PEM. */
  chainPems: string[];
  /** SHA-256 of the certificate's DER, hex, as CertificatePool reads it: how the broker recognises the backend. */
  fingerprint: string;
}

/**
 * The backend's client identity (key + clientAuth certificate, CN `certfleet-backend`) from the scenario's PKI: the
 * device-issuing CA, on a serial stream of its own so device certificates keep their serials. Valid a year either
 * side of the timeline, whatever the broker's clock offset, so admission at the broker's clock never refuses it.
 * The broker admits it by this exact certificate (its fingerprint): a device that got a certificate naming the same
 * CN through a CSR holds another certificate, and is a device.
 */
export function issueBackendIdentity(options: {
  pki: ScenarioPki;
  issuer: string;
  chain: readonly string[];
  seed: number;
  timeline: { start: number; end: number };
  pool: CertificatePool;
}): BackendIdentity {
  const authority = authorityFromPki(options.pki, options.issuer, options.seed, 'backend-identity');
  const keyPair = generateKeyPair('ec-p256');
  const issued = authority.issue({
    subject: { CN: BACKEND_CLIENT_ID },
    publicKey: keyPair.publicKey,
    profile: 'device',
    notBefore: options.timeline.start - MARGIN_MS,
    notAfter: options.timeline.end + MARGIN_MS,
  });
  const parsed = options.pool.parsePem(issued.pem)[0];
  if (!parsed) throw new Error('the backend certificate just issued cannot be read');
  return {
    clientId: BACKEND_CLIENT_ID,
    keyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem: issued.pem,
    chainPems: options.chain.map((name) => options.pki.certificates[name] ?? ''),
    fingerprint: parsed.fingerprint,
  };
}

/** The backend identity of a broker configuration: issued by its device-issuing CA, valid around its timeline. */
export function backendIdentityFor(
  config: { pki: ScenarioPki; deviceIssuance: { issuer: string; chain: string[] }; seed: number; timeline: { start: number; end: number } },
  pool: CertificatePool,
): BackendIdentity {
  return issueBackendIdentity({
    pki: config.pki,
    issuer: config.deviceIssuance.issuer,
    chain: config.deviceIssuance.chain,
    seed: config.seed,
    timeline: config.timeline,
    pool,
  });
}
