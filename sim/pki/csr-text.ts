import { pemBlocks } from './pem.js';

/**
 * A PKCS#10 CSR as devices send it in JSON: PEM (RFC 7468 7), as AWS's CreateCertificateFromCsr and `openssl req`
 * write it, or base64 DER (RFC 4648 4), as certfleet's simulated devices send it on their own rotation topic.
 */

/** The DER of a PEM CSR (RFC 7468 7: `CERTIFICATE REQUEST`, or the legacy `NEW CERTIFICATE REQUEST`); undefined if none. */
export function csrFromPem(pem: string): Buffer | undefined {
  try {
    const blocks = pemBlocks(pem);
    const csr = blocks.length === 1 ? blocks[0] : undefined;
    return csr && (csr.label === 'CERTIFICATE REQUEST' || csr.label === 'NEW CERTIFICATE REQUEST') ? csr.der : undefined;
  } catch {
    return undefined;
  }
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** True when the text is written as PEM (it has a BEGIN line), whatever it holds. */
export function looksLikePem(text: string): boolean {
  return text.includes('-----BEGIN ');
}

/**
 * The DER of a CSR given as PEM or as base64 DER; undefined when the text is neither (PEM that holds no single CSR
 * block, or text that is not base64). Whether the DER is a valid CSR is the CA's call.
 */
export function csrFromText(text: string): Buffer | undefined {
  if (looksLikePem(text)) return csrFromPem(text);
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}
