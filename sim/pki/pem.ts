/**
 * PEM (RFC 7468): base64 of the DER between BEGIN/END lines. Output uses 64-character lines and ends with a
 * newline (RFC 7468 2, strict form), so bundles can be built by plain string concatenation.
 */

/** One PEM block with a trailing newline, e.g. `toPem(der, 'CERTIFICATE')`. */
export function toPem(der: Buffer, label: string): string {
  const b64 = der.toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

// RFC 7468 3: label characters are printable ASCII except hyphen; BEGIN and END labels must match.
const BLOCK = /-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[\x20-\x2c\x2e-\x7e]*[\x21-\x2c\x2e-\x7e])?)-----([\s\S]*?)-----END ([^-]*)-----/g;

/** Every block of a PEM bundle, in order, with its label. Throws on mismatched labels or bad base64. */
export function pemBlocks(pem: string): { label: string; der: Buffer }[] {
  const out: { label: string; der: Buffer }[] = [];
  for (const m of pem.matchAll(BLOCK)) {
    const [, label = '', body = '', endLabel] = m;
    if (endLabel !== label) throw new Error(`PEM block "${label}" ends with "${endLabel ?? ''}"`);
    const b64 = body.replace(/\s+/g, '');
    // RFC 7468 3 allows explanatory headers only in legacy forms; certificates, CSRs and CRLs carry none.
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new Error(`PEM block "${label}" has invalid base64`);
    out.push({ label, der: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** The DER of every block in a PEM bundle, in order (an empty array when there is none). */
export function pemToDer(pem: string): Buffer[] {
  return pemBlocks(pem).map((b) => b.der);
}
