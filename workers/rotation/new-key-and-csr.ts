import type { KeyAlgorithm } from '../../sim/pki/index.js';
import { createCsr, generateKeyPair } from '../../sim/pki/index.js';

/** A fresh key pair and a PKCS#10 CSR for it with CN = the device id (RFC 2986). */
export function newKeyAndCsr(deviceId: string, algorithm: KeyAlgorithm): { keyPem: string; csrDer: Buffer } {
  const keyPair = generateKeyPair(algorithm);
  return {
    csrDer: createCsr({ subject: { CN: deviceId }, keyPair }),
    keyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
