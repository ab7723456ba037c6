/**
 * Distinguished names (RFC 5280 4.1.2.4, 4.1.2.6): encoding a `DistinguishedName` and reading one back.
 * Names are compared as DER bytes elsewhere, so the encoding is fixed: one attribute per RDN, in the order
 * C, O, OU, CN; PrintableString for C (RFC 5280 Appendix A: X520countryName), UTF8String otherwise (4.1.2.6).
 */
import { oid, printableString, sequence, set, utf8String } from './der-writer.js';
import { DerError, decodeOid, decodeString, expectTag, readChildren, readSingle } from './der-reader.js';
import type { DistinguishedName } from './types.js';

export const NAME_OIDS = {
  C: '2.5.4.6',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
} as const;

const ORDER = ['C', 'O', 'OU', 'CN'] as const;

/** DER Name (RDNSequence) for a distinguished name. Absent or empty optional attributes are left out. */
export function encodeName(name: DistinguishedName): Buffer {
  if (!name.CN) throw new Error('a distinguished name needs a non-empty CN');
  const rdns: Buffer[] = [];
  for (const key of ORDER) {
    const value = name[key];
    if (value === undefined || value === '') continue;
    if (key === 'C' && value.length !== 2) throw new Error(`country must be a 2-letter code (RFC 5280 X520countryName): "${value}"`);
    const encoded = key === 'C' ? printableString(value) : utf8String(value);
    // RFC 5280 4.1.2.4: RelativeDistinguishedName ::= SET OF AttributeTypeAndValue (one attribute each here).
    rdns.push(set(sequence(oid(NAME_OIDS[key]), encoded)));
  }
  return sequence(...rdns);
}

/** All attributes of a DER Name as [oid, value] pairs in order. Throws a `DerError` on malformed input. */
export function readNameAttributes(nameDer: Buffer): [string, string][] {
  const name = expectTag(readSingle(nameDer, 'Name'), 0x30, 'Name');
  const out: [string, string][] = [];
  for (const rdn of readChildren(name, 'Name')) {
    expectTag(rdn, 0x31, 'RelativeDistinguishedName');
    for (const atv of readChildren(rdn, 'RelativeDistinguishedName')) {
      const [type, value, extra] = readChildren(expectTag(atv, 0x30, 'AttributeTypeAndValue'), 'AttributeTypeAndValue');
      if (!type || !value || extra) throw new DerError('AttributeTypeAndValue: expected type and value');
      out.push([decodeOid(type, 'attribute type'), decodeString(value, 'attribute value')]);
    }
  }
  return out;
}

/** The commonName of a DER Name; with several, the last (most specific) one. Undefined when there is none. */
export function readCommonName(nameDer: Buffer): string | undefined {
  let cn: string | undefined;
  for (const [type, value] of readNameAttributes(nameDer)) if (type === NAME_OIDS.CN) cn = value;
  return cn;
}

/** A DER Name back as a `DistinguishedName` (the C, O, OU, CN attributes; others are ignored). */
export function decodeName(nameDer: Buffer): Partial<DistinguishedName> {
  const out: Partial<DistinguishedName> = {};
  for (const [type, value] of readNameAttributes(nameDer)) {
    for (const key of ORDER) if (NAME_OIDS[key] === type) out[key] = value;
  }
  return out;
}
