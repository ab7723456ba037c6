import { toPem } from '../pki/pem.js';
import { cohortTrustAnchors } from '../scenario-pki/cohort-anchors.js';
import type { ScenarioPki } from '../scenario-pki/build-scenario-pki.js';
import type { Scenario } from '../scenario/schema.js';
import { CertificatePool } from '../verify/certificate-pool.js';
import type { ParsedCertificate } from '../verify/types.js';

/**
 * The anchors a cohort's devices trust for the broker's server chain, as PEM certificates in the order the device
 * workers hold them (sim/scenario-pki/cohort-anchors.ts): what a client of that cohort gives as its CA file.
 */
export function cohortAnchorsPem(scenario: Scenario, pki: ScenarioPki, cohortIndex: number): string[] {
  const pool = new CertificatePool();
  const certificate = (name: string): ParsedCertificate => {
    const pem = pki.certificates[name];
    const parsed = pem === undefined ? undefined : pool.parsePem(pem)[0];
    if (!parsed) throw new RangeError(`no certificate named "${name}" in the scenario PKI`);
    return parsed;
  };
  return cohortTrustAnchors(scenario, pki, cohortIndex, certificate).map((anchor) => toPem(anchor.der, 'CERTIFICATE'));
}
