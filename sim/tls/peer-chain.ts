import type { TLSSocket } from 'node:tls';
import type { CertificatePool } from '../verify/certificate-pool.js';
import type { ParsedCertificate } from '../verify/types.js';

/**
 * The certificates the peer sent in its TLS Certificate message, leaf first, as Node links them (`issuerCertificate`,
 * an issuer found among the sent certificates by X509_check_issued); the walk stops at a repeat.
 *
 * `getPeerX509Certificate()` wraps the X509 objects OpenSSL already decoded during the handshake, so a certificate
 * the pool has not seen costs no second DER decode (in OpenSSL 3.0 that decode, with its public key, costs more than
 * an ECDSA verify), and one it has seen costs a SHA-256. The legacy `getPeerCertificate(true)` would build a JS object
 * with three digests per certificate. Never call both on one socket: on Node 20 whichever runs second loses the chain.
 */
export function peerChain(socket: TLSSocket, pool: CertificatePool): ParsedCertificate[] {
  const chain: ParsedCertificate[] = [];
  const seen = new Set<string>();
  let node = socket.getPeerX509Certificate();
  while (node) {
    const cert = pool.fromX509(node);
    if (seen.has(cert.fingerprint)) break;
    seen.add(cert.fingerprint);
    chain.push(cert);
    node = node.issuerCertificate;
  }
  return chain;
}

/**
 * The same chain as `peerChain`, as DER, for a process that judges it elsewhere (a broker instance asks its
 * coordinator). Reads the X509 objects the handshake decoded, like `peerChain`.
 */
export function peerChainDer(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let node = socket.getPeerX509Certificate();
  while (node) {
    if (seen.has(node.fingerprint256)) break;
    seen.add(node.fingerprint256);
    chain.push(node.raw);
    node = node.issuerCertificate;
  }
  return chain;
}
