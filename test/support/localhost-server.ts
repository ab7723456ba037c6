/** Keys and a server certificate for a TLS server on loopback in tests, issued by a test's own authority. */
import type { CertificateAuthority, KeyPair } from '../../sim/pki/index.js';
import { generateKeyPair } from '../../sim/pki/index.js';

/** PKCS#8 PEM of a key pair's private key, as Node's TLS options take it. */
export function keyPem(keys: KeyPair): string {
  return keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A server certificate for `localhost` (CN and DNS name) from `issuer`, and its key, PEM. */
export function localhostServer(issuer: CertificateAuthority, notBefore: number, notAfter: number): { certificatePem: string; keyPem: string } {
  const keys = generateKeyPair();
  const issued = issuer.issue({ subject: { CN: 'localhost' }, publicKey: keys.publicKey, profile: 'server', notBefore, notAfter, subjectAltNames: { dns: ['localhost'] } });
  return { certificatePem: issued.pem, keyPem: keyPem(keys) };
}
