import { toPem } from '../pki/pem.js';
import { cohortTrustAnchors } from '../scenario-pki/cohort-anchors.js';
import { pkiCertificateLookup } from '../scenario-pki/pki-certificate.js';
import type { ScenarioPki } from '../scenario-pki/build-scenario-pki.js';
import type { Scenario } from '../scenario/schema.js';
import { CertificatePool } from '../verify/certificate-pool.js';

/**
 * The anchors a cohort's devices trust for the broker's server chain, as PEM certificates in the order the device
 * workers hold them (sim/scenario-pki/cohort-anchors.ts): what a client of that cohort gives as its CA file.
 */
export function cohortAnchorsPem(scenario: Scenario, pki: ScenarioPki, cohortIndex: number): string[] {
  return cohortTrustAnchors(scenario, pki, cohortIndex, pkiCertificateLookup(pki, new CertificatePool())).map((anchor) => toPem(anchor.der, 'CERTIFICATE'));
}
