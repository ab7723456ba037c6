import { toPem } from '../../sim/pki/index.js';
import { authorityFromPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import type { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';

/** RFC 5280 5.1.2.5 asks for a nextUpdate; these lists are replaced whenever something is revoked, never left to age. */
const FAR_FUTURE = Date.UTC(9999, 11, 31, 23, 59, 59);

interface IssuerList {
  name: string;
  revoked: Map<string, number>;
  /** thisUpdate of the issuer's current list. */
  thisUpdate: number;
  /** RFC 5280 5.2.3 cRLNumber of the next list written. */
  number: number;
}

/**
 * The CRL file Mosquitto reads: one CRL for every authority of the scenario that can sign one.
 *
 * Mosquitto 2.0.11 sets X509_V_FLAG_CRL_CHECK (the leaf only, not CRL_CHECK_ALL) once a crlfile is configured, and
 * OpenSSL then refuses a leaf whose issuer has no CRL (unable to get CRL), so every issuer gets a list from the
 * start, empty, with thisUpdate at 1970 so it is current at any clock reading. A revoked intermediate is not looked
 * up in its parent's list by Mosquitto, so revoking an authority lists every known leaf under it in its issuer's list.
 *
 * Mosquitto re-reads the whole file on SIGHUP (with a crlfile configured it rebuilds its trust store: a list
 * replaced by another of the same second takes effect, test/broker/mosquitto-broker.test.ts), and checks CRLs at
 * handshakes only: live sessions on a revoked certificate stay connected.
 */
export class RevocationLists {
  readonly #lists = new Map<string, IssuerList>();
  readonly #pki: ScenarioPki;
  readonly #seed: number;

  constructor(pki: ScenarioPki, pool: CertificatePool, seed: number) {
    this.#pki = pki;
    this.#seed = seed;
    for (const name of Object.keys(pki.authorityKeys)) {
      const certificate = pool.parsePem(pki.certificates[name] ?? '')[0];
      // One list per issuing key: OpenSSL matches a CRL to a leaf by issuer name and key identifier.
      const key = listKey(certificate?.subject ?? '', certificate?.subjectKeyId);
      if (certificate && !this.#lists.has(key)) this.#lists.set(key, { name, revoked: new Map(), thisUpdate: 0, number: 1 });
    }
  }

  /** Lists `certificates` as revoked at broker clock reading `at` (ms) in their issuers' lists. */
  revoke(certificates: readonly ParsedCertificate[], at: number): void {
    const thisUpdate = Math.floor(at / 1000) * 1000;
    for (const certificate of certificates) {
      const list = this.#lists.get(listKey(certificate.issuer, certificate.authorityKeyId));
      if (!list || list.revoked.has(certificate.serialHex)) continue;
      list.revoked.set(certificate.serialHex, thisUpdate);
      // RFC 5280 5.1.2.4: the issue date of this list; never earlier than the one it replaces.
      list.thisUpdate = Math.max(list.thisUpdate, thisUpdate);
    }
  }

  /** Every list, signed by its issuer (RFC 5280 5.1), as the PEM text of Mosquitto's crlfile. */
  pem(): string {
    return [...this.#lists.values()]
      .map((list) => {
        const ca = authorityFromPki(this.#pki, list.name, this.#seed, 'mosquitto-crl');
        const der = ca.createCrl({
          crlNumber: list.number++,
          thisUpdate: list.thisUpdate,
          nextUpdate: FAR_FUTURE,
          revoked: [...list.revoked].map(([serialHex, revokedAt]) => ({ serialHex, revokedAt })),
        });
        return toPem(der, 'X509 CRL');
      })
      .join('');
  }
}

function listKey(issuer: string, keyId: string | undefined): string {
  return `${issuer}\n${keyId ?? ''}`;
}
