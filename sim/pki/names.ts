/**
 * Distinguished names (RFC 5280 4.1.2.4, 4.1.2.6): encoding a `DistinguishedName` and reading one back.
 * Names are compared as DER bytes elsewhere, so the encoding is fixed: one attribute per RDN, in the order
 * C, O, OU, CN; PrintableString for C (RFC 5280 Appendix A: X520countryName), UTF8String otherwise (4.1.2.6).
 */
import { oid, printableString, sequence, set, utf8String } from './der-writer.js';
import { DerError, decodeOid, decodeString, expectTag, readChildren, readSingle, type Tlv } from './der-reader.js';
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

/** All attributes of a DER Name as [oid, value element] pairs in order. Throws a `DerError` on malformed input. */
export function readNameAttributeElements(nameDer: Buffer): [string, Tlv][] {
  const name = expectTag(readSingle(nameDer, 'Name'), 0x30, 'Name');
  const out: [string, Tlv][] = [];
  for (const rdn of readChildren(name, 'Name')) {
    expectTag(rdn, 0x31, 'RelativeDistinguishedName');
    for (const atv of readChildren(rdn, 'RelativeDistinguishedName')) {
      const [type, value, extra] = readChildren(expectTag(atv, 0x30, 'AttributeTypeAndValue'), 'AttributeTypeAndValue');
      if (!type || !value || extra) throw new DerError('AttributeTypeAndValue: expected type and value');
      out.push([decodeOid(type, 'attribute type'), value]);
    }
  }
  return out;
}

/** All attributes of a DER Name as [oid, value] pairs in order. Throws a `DerError` on malformed input. */
export function readNameAttributes(nameDer: Buffer): [string, string][] {
  return readNameAttributeElements(nameDer).map(([type, value]) => [type, decodeString(value, 'attribute value')]);
}

/**
 * The identity a name gives its holder: exactly one CN, or none, or no single one (`ambiguous`, with why). The one
 * place certfleet reads the CN of a subject: the CA (which CSR subject it signs) and the broker (which device a
 * certificate is) must agree, so a name two readers could read differently has no identity at all.
 */
export type NameIdentity = { kind: 'one'; commonName: string } | { kind: 'none' } | { kind: 'ambiguous'; problem: string };

// X.680 41.4: the PrintableString character set.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
// C0 and C1 controls (NUL included): C-string and log readers would cut or reinterpret the name there.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Reads the identity (CN) of a DER Name. Several CN attributes (in one RDN or several, in any order), an empty CN,
 * one with control characters, or a CN that is not a UTF8String or PrintableString (RFC 5280 4.1.2.6: what CAs
 * MUST use) or is not valid in its string type, give `ambiguous`. Throws a `DerError` on malformed DER.
 */
export function nameIdentity(nameDer: Buffer): NameIdentity {
  const values = readNameAttributeElements(nameDer).filter(([type]) => type === NAME_OIDS.CN).map(([, value]) => value);
  const [only, ...others] = values;
  if (!only) return { kind: 'none' };
  if (others.length > 0) {
    const shown = values.map((v) => (v.tag === 0x0c || v.tag === 0x13 ? JSON.stringify(v.content.toString('latin1')) : `(tag 0x${v.tag.toString(16)})`));
    return { kind: 'ambiguous', problem: `${values.length} CNs (${shown.join(', ')}), expected one` };
  }
  let cn: string;
  if (only.tag === 0x0c) {
    cn = only.content.toString('utf8');
    if (!Buffer.from(cn, 'utf8').equals(only.content)) return { kind: 'ambiguous', problem: 'the CN is not valid UTF-8' };
  } else if (only.tag === 0x13) {
    cn = only.content.toString('latin1');
    if (!PRINTABLE.test(cn)) return { kind: 'ambiguous', problem: 'the CN has characters a PrintableString cannot hold' };
  } else {
    return { kind: 'ambiguous', problem: `the CN is of string tag 0x${only.tag.toString(16)}, expected a UTF8String or PrintableString` };
  }
  if (cn === '') return { kind: 'ambiguous', problem: 'the CN is empty' };
  if (CONTROL.test(cn)) return { kind: 'ambiguous', problem: `the CN ${JSON.stringify(cn)} has control characters` };
  return { kind: 'one', commonName: cn };
}

/** The one commonName of a DER Name (see `nameIdentity`); undefined when it has none or no single one. */
export function readCommonName(nameDer: Buffer): string | undefined {
  const identity = nameIdentity(nameDer);
  return identity.kind === 'one' ? identity.commonName : undefined;
}

/** A DER Name back as a `DistinguishedName` (C, O, OU, and the CN when it names one identity; others are ignored). */
export function decodeName(nameDer: Buffer): Partial<DistinguishedName> {
  const out: Partial<DistinguishedName> = {};
  for (const [type, value] of readNameAttributes(nameDer)) {
    for (const key of ORDER) if (key !== 'CN' && NAME_OIDS[key] === type) out[key] = value;
  }
  const cn = readCommonName(nameDer);
  if (cn !== undefined) out.CN = cn;
  return out;
}
