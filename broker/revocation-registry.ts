import type { ParsedCertificate } from '../sim/verify/types.js';

/**
 * The certificates the backend has revoked, the list the broker consults at admission (the content of each issuer's
 * CRL, RFC 5280 5.1). A certificate is identified by its issuer name and serial number (RFC 5280 4.1.2.2).
 */
export class RevocationRegistry {
  readonly #revokedAt = new Map<string, number>();

  revoke(issuer: string, serialHex: string, at: number): void {
    const key = entryKey(issuer, serialHex);
    if (!this.#revokedAt.has(key)) this.#revokedAt.set(key, at);
  }

  /** Revoked at or before the judge's clock reading `at`. */
  isRevoked = (cert: ParsedCertificate, _issuer: ParsedCertificate, at: number): boolean => this.isSerialRevoked(cert.issuer, cert.serialHex, at);

  isSerialRevoked = (issuer: string, serialHex: string, at: number): boolean => {
    const revokedAt = this.#revokedAt.get(entryKey(issuer, serialHex));
    return revokedAt !== undefined && revokedAt <= at;
  };

  get size(): number {
    return this.#revokedAt.size;
  }
}

function entryKey(issuer: string, serialHex: string): string {
  return `${issuer}\u0000${serialHex.toLowerCase()}`;
}
