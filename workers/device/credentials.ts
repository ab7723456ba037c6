import { createSecureContext, type SecureContext } from 'node:tls';
import type { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import type { DeviceCredentials } from '../protocol.js';

/** A key and certificate chain as a device holds them: parsed once, with its TLS context built on first use. */
export interface Credentials extends DeviceCredentials {
  certificate: ParsedCertificate;
  context?: SecureContext | undefined;
}

export function adoptCredentials(pool: CertificatePool, credentials: DeviceCredentials, owner: string): Credentials {
  const certificate = pool.parsePem(credentials.certificatePem)[0];
  if (!certificate) throw new Error(`device ${owner}: no certificate in its credentials`);
  return { keyPem: credentials.keyPem, certificatePem: credentials.certificatePem, chainPems: credentials.chainPems, certificate };
}

/** The TLS context for these credentials (building one costs ~1 ms of OpenSSL PEM decoding, so it is kept). */
export function secureContextOf(credentials: Credentials): SecureContext {
  credentials.context ??= createSecureContext({
    key: credentials.keyPem,
    cert: credentials.certificatePem + credentials.chainPems.join(''),
  });
  return credentials.context;
}
