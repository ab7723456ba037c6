import type { TLSSocket } from 'node:tls';
import type { CertificatePool } from '../verify/certificate-pool.js';
import type { ParsedCertificate } from '../verify/types.js';

/**
 * The certificates the peer sent in its TLS Certificate message, leaf first, parsed through the shared pool (a
 * repeat is a cache hit). Node links them as `issuerCertificate`; the walk stops at a repeat.
 *
 * Not `getPeerX509Certificate()`: on Node 20.20, calling it before `getPeerCertificate(true)` makes both return
 * nothing for that socket (seen on every connection), so the chain is read from the legacy object only.
 */
export function peerChain(socket: TLSSocket, pool: CertificatePool): ParsedCertificate[] {
  const chain: ParsedCertificate[] = [];
  const seen = new Set<string>();
  let node = socket.getPeerCertificate(true);
  while (node?.raw) {
    const cert = pool.parse(node.raw);
    if (seen.has(cert.fingerprint)) break;
    seen.add(cert.fingerprint);
    chain.push(cert);
    node = node.issuerCertificate;
  }
  return chain;
}
