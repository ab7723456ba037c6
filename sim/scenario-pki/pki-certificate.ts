import type { CertificatePool } from '../verify/certificate-pool.js';
import type { ParsedCertificate } from '../verify/types.js';
import type { ScenarioPki } from './build-scenario-pki.js';

/**
 * A scenario certificate (authority or server certificate) by its scenario name, parsed once through the pool of
 * whoever reads it. A name the PKI does not hold is a bug in the caller (the scenario check resolved every name), so
 * it throws rather than returning undefined.
 */
export function pkiCertificateLookup(pki: Pick<ScenarioPki, 'certificates'>, pool: CertificatePool): (name: string) => ParsedCertificate {
  return (name) => {
    const pem = pki.certificates[name];
    const parsed = pem === undefined ? undefined : pool.parsePem(pem)[0];
    if (!parsed) throw new RangeError(`no certificate named "${name}" in the scenario PKI`);
    return parsed;
  };
}
