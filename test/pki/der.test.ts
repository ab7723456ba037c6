import { describe, expect, it } from 'vitest';
import { DerError, decodeOid, decodeSmallInteger, integerContent, readChildren, readSingle, readTlv } from '../../sim/pki/der-reader.js';
import { bitString, boolean, encodeLength, explicit, implicit, integer, nullValue, octetString, oid, printableString, sequence, set, utf8String } from '../../sim/pki/der-writer.js';
import { basicConstraints, keyUsage } from '../../sim/pki/extensions.js';
import { decodeName, encodeName, pemBlocks, pemToDer, readCommonName, toPem } from '../../sim/pki/index.js';

const hex = (b: Buffer) => b.toString('hex');

describe('DER writer', () => {
  it('writes short and long form lengths with the fewest octets', () => {
    expect(hex(encodeLength(0))).toBe('00');
    expect(hex(encodeLength(127))).toBe('7f');
    expect(hex(encodeLength(128))).toBe('8180');
    expect(hex(encodeLength(255))).toBe('81ff');
    expect(hex(encodeLength(256))).toBe('820100');
    expect(hex(encodeLength(65536))).toBe('83010000');
    const big = octetString(Buffer.alloc(300));
    expect(hex(big.subarray(0, 4))).toBe('0482012c');
    expect(big.length).toBe(304);
  });

  it('writes minimal positive INTEGERs from numbers and magnitudes', () => {
    expect(hex(integer(0))).toBe('020100');
    expect(hex(integer(127))).toBe('02017f');
    expect(hex(integer(128))).toBe('02020080');
    expect(hex(integer(256))).toBe('02020100');
    expect(hex(integer(2 ** 40))).toBe('0206010000000000');
    expect(hex(integer(Buffer.from([0, 0, 1])))).toBe('020101');
    expect(hex(integer(Buffer.from([0xff])))).toBe('020200ff');
    expect(hex(integer(Buffer.alloc(0)))).toBe('020100');
    expect(() => integer(-1)).toThrow(RangeError);
    expect(() => integer(1.5)).toThrow(RangeError);
  });

  it('writes OBJECT IDENTIFIERs including large arcs and rejects invalid ones', () => {
    expect(hex(oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(oid('2.5.29.19'))).toBe('0603551d13');
    expect(hex(oid('2.999.3'))).toBe('0603883703');
    expect(oid('2.5.29.19')).toBe(oid('2.5.29.19'));
    for (const bad of ['1', '3.1', '1.40', 'a.b', '1..2', '']) expect(() => oid(bad)).toThrow(/OBJECT IDENTIFIER/);
  });

  it('writes the primitive and constructed types X.509 needs', () => {
    expect(hex(boolean(true))).toBe('0101ff');
    expect(hex(boolean(false))).toBe('010100');
    expect(hex(nullValue())).toBe('0500');
    expect(hex(bitString(Buffer.from([0x06]), 1))).toBe('03020106');
    expect(hex(utf8String('é'))).toBe('0c02c3a9');
    expect(hex(printableString('DE'))).toBe('13024445');
    expect(() => printableString('a@b')).toThrow(/PrintableString/);
    expect(hex(sequence(integer(1), nullValue()))).toBe('3005020101' + '0500');
    expect(hex(set(nullValue()))).toBe('31020500');
    expect(hex(explicit(3, nullValue()))).toBe('a3020500');
    expect(hex(implicit(2, Buffer.from('a')))).toBe('820161');
    expect(hex(implicit(0, Buffer.alloc(0), true))).toBe('a000');
  });

  it('encodes keyUsage bits without trailing zero bits and basicConstraints with DEFAULT values left out', () => {
    const value = (ext: Buffer) => hex(readChildren(readSingle(ext)).at(-1)!.content);
    expect(value(keyUsage(['digitalSignature']))).toBe('03020780');
    expect(value(keyUsage(['digitalSignature', 'keyEncipherment']))).toBe('030205a0');
    expect(value(keyUsage(['keyCertSign', 'cRLSign']))).toBe('03020106');
    expect(value(basicConstraints(false))).toBe('3000');
    expect(value(basicConstraints(true))).toBe('30030101ff');
    expect(value(basicConstraints(true, 0))).toBe('30060101ff020100');
  });
});

describe('DER reader', () => {
  it('reads nested elements with long-form lengths and round-trips writer output', () => {
    const der = sequence(oid('2.5.4.3'), octetString(Buffer.alloc(200, 7)), integer(300));
    const [id, octets, int] = readChildren(readSingle(der));
    expect(decodeOid(id!)).toBe('2.5.4.3');
    expect(octets!.content.length).toBe(200);
    expect(decodeSmallInteger(int!)).toBe(300);
    expect(decodeOid(readSingle(oid('2.999.3')))).toBe('2.999.3');
  });

  it('rejects truncated, indefinite, non-minimal and trailing input with a DerError', () => {
    const cases: [string, RegExp][] = [
      ['', /truncated/],
      ['30', /truncated/],
      ['3004020101', /past the end/],
      ['3080', /indefinite/],
      ['30810100', /non-minimal/],
      ['3082000100', /non-minimal/],
      ['1f0100', /high tag/],
      ['0500' + '00', /trailing/],
      ['3085ffffffffff', /too large/],
    ];
    for (const [input, message] of cases) {
      expect(() => readSingle(Buffer.from(input, 'hex'))).toThrow(DerError);
      expect(() => readSingle(Buffer.from(input, 'hex'))).toThrow(message);
    }
    expect(() => integerContent(readTlv(Buffer.from('02020001', 'hex')))).toThrow(/non-minimal/);
    expect(() => readChildren(readSingle(Buffer.from('0500', 'hex')))).toThrow(/constructed/);
  });
});

describe('names', () => {
  it('encodes C, O, OU, CN in that order with PrintableString for C and UTF8String otherwise', () => {
    const der = encodeName({ CN: 'device-1', OU: 'fleet', O: 'Acme GmbH', C: 'DE' });
    const rdns = readChildren(readSingle(der)).map((rdn) => readChildren(readChildren(rdn)[0]!));
    expect(rdns.map(([type]) => decodeOid(type!))).toEqual(['2.5.4.6', '2.5.4.10', '2.5.4.11', '2.5.4.3']);
    expect(rdns.map(([, value]) => value!.tag)).toEqual([0x13, 0x0c, 0x0c, 0x0c]);
    expect(readCommonName(der)).toBe('device-1');
    expect(decodeName(der)).toEqual({ C: 'DE', O: 'Acme GmbH', OU: 'fleet', CN: 'device-1' });
  });

  it('gives the same bytes for the same name and leaves out absent attributes', () => {
    expect(encodeName({ CN: 'x', O: 'y' }).equals(encodeName({ O: 'y', CN: 'x', OU: undefined }))).toBe(true);
    expect(decodeName(encodeName({ CN: 'only' }))).toEqual({ CN: 'only' });
    expect(() => encodeName({ CN: '' })).toThrow(/CN/);
    expect(() => encodeName({ CN: 'x', C: 'DEU' })).toThrow(/2-letter/);
  });

  it('reads no CN from a name without one', () => {
    expect(readCommonName(sequence())).toBeUndefined();
  });
});

describe('PEM', () => {
  it('writes 64-character lines with a trailing newline and reads every block of a bundle back', () => {
    const a = Buffer.alloc(100, 1);
    const b = Buffer.alloc(48, 2);
    const pem = toPem(a, 'CERTIFICATE');
    const lines = pem.split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines[1]).toHaveLength(64);
    expect(pem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
    const blocks = pemToDer(pem + toPem(b, 'X509 CRL'));
    expect(blocks.map(hex)).toEqual([hex(a), hex(b)]);
    expect(pemBlocks(toPem(b, 'X509 CRL'))[0]?.label).toBe('X509 CRL');
    expect(pemToDer('no pem here')).toEqual([]);
  });

  it('rejects mismatched labels and invalid base64', () => {
    expect(() => pemToDer('-----BEGIN A-----\nAAAA\n-----END B-----\n')).toThrow(/ends with/);
    expect(() => pemToDer('-----BEGIN A-----\nAA*A\n-----END A-----\n')).toThrow(/base64/);
  });
});
