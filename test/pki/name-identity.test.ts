import { describe, expect, it } from 'vitest';
import { oid, printableString, sequence, set, tlv, utf8String } from '../../sim/pki/der-writer.js';
import { DerError } from '../../sim/pki/der-reader.js';
import { decodeName, encodeName, nameIdentity, readCommonName } from '../../sim/pki/index.js';

const CN = '2.5.4.3';
const O = '2.5.4.10';
/** One AttributeTypeAndValue. */
const atv = (type: string, value: Buffer) => sequence(oid(type), value);
/** A Name of one single-valued RDN per attribute, in the given order. */
const name = (...atvs: Buffer[]) => sequence(...atvs.map((a) => set(a)));

describe('the identity (CN) a name gives its holder', () => {
  it('is the CN of a name with exactly one, whatever else the name holds', () => {
    const der = encodeName({ C: 'DE', O: 'Acme', OU: 'fleet', CN: 'dev-a' });
    expect(nameIdentity(der)).toEqual({ kind: 'one', commonName: 'dev-a' });
    expect(readCommonName(der)).toBe('dev-a');
    expect(nameIdentity(name(atv(CN, printableString('dev-a'))))).toEqual({ kind: 'one', commonName: 'dev-a' });
  });

  it('is none for a name without a CN', () => {
    expect(nameIdentity(name(atv(O, utf8String('Acme'))))).toEqual({ kind: 'none' });
    expect(nameIdentity(sequence())).toEqual({ kind: 'none' });
  });

  it.each([
    ['dev-b then dev-a', name(atv(CN, utf8String('dev-b')), atv(CN, utf8String('dev-a')))],
    ['dev-a then dev-b', name(atv(CN, utf8String('dev-a')), atv(CN, utf8String('dev-b')))],
    ['both in one multi-valued RDN', sequence(set(atv(CN, utf8String('dev-a')), atv(CN, utf8String('dev-b'))))],
    ['the same CN twice', name(atv(CN, utf8String('dev-a')), atv(O, utf8String('x')), atv(CN, utf8String('dev-a')))],
    ['one UTF8String and one PrintableString', name(atv(CN, printableString('dev-a')), atv(CN, utf8String('dev-b')))],
  ])('is ambiguous for a name with two CNs (%s), for every reader', (_, der) => {
    const identity = nameIdentity(der);
    expect(identity.kind).toBe('ambiguous');
    if (identity.kind === 'ambiguous') expect(identity.problem).toMatch(/^2 CNs \(.*\), expected one$/);
    expect(readCommonName(der)).toBeUndefined();
    expect(decodeName(der).CN).toBeUndefined();
  });

  it.each([
    ['an empty CN', name(atv(CN, utf8String(''))), /empty/],
    ['a BMPString CN', name(atv(CN, tlv(0x1e, Buffer.from('0064', 'hex')))), /tag 0x1e/],
    ['an IA5String CN', name(atv(CN, tlv(0x16, Buffer.from('dev-a')))), /tag 0x16/],
    ['a TeletexString CN', name(atv(CN, tlv(0x14, Buffer.from('dev-a')))), /tag 0x14/],
    ['a CN that is not a string at all', name(atv(CN, tlv(0x02, Buffer.from([1])))), /tag 0x2/],
    ['a UTF8String CN that is not UTF-8', name(atv(CN, tlv(0x0c, Buffer.from([0x64, 0xff, 0x61])))), /UTF-8/],
    ['a PrintableString CN with an asterisk', name(atv(CN, tlv(0x13, Buffer.from('dev*')))), /PrintableString/],
    ['a CN with a NUL', name(atv(CN, utf8String('dev-b\u0000dev-a'))), /control/],
    ['a CN with a newline', name(atv(CN, utf8String('dev-b\nCN=dev-a'))), /control/],
  ])('is ambiguous for %s', (_, der, problem) => {
    const identity = nameIdentity(der);
    expect(identity.kind).toBe('ambiguous');
    if (identity.kind === 'ambiguous') expect(identity.problem).toMatch(problem);
  });

  it('keeps a non-ASCII UTF-8 CN', () => {
    expect(nameIdentity(name(atv(CN, utf8String('Gerät-7'))))).toEqual({ kind: 'one', commonName: 'Gerät-7' });
  });

  it('throws a DerError for a name that is not DER', () => {
    expect(() => nameIdentity(Buffer.from([0x30, 0x05, 0x31]))).toThrow(DerError);
  });
});
