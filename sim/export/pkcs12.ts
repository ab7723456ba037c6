import { createRequire } from 'node:module';
import type * as Forge from 'node-forge';
import { pemToDer } from '../pki/pem.js';

/**
 * The PKCS#12 (RFC 7292) encryption of the key bag: pbeWithSHAAnd3-KeyTripleDES-CBC (RFC 7292 Appendix C) with an
 * HMAC-SHA1 MAC (RFC 7292 5). OpenSSL 3 reads it with its default provider (unlike RC2-40, which needs -legacy),
 * and so do Java's PKCS12 KeyStore, Windows, the macOS keychain and Android; OpenSSL 3's own default
 * (PBES2/AES-256-CBC, HMAC-SHA256) is refused by older macOS and Java clients.
 */
export const PKCS12_ENCRYPTION = 'pbeWithSHAAnd3-KeyTripleDES-CBC key bag, certificates unencrypted, HMAC-SHA1 MAC, 2048 iterations';

const ITERATIONS = 2048;
// node-forge is CommonJS assigning module.exports at run time: no named or default ESM export to import.
const forge = createRequire(import.meta.url)('node-forge') as typeof Forge;
const { asn1, pki } = forge;

export interface Pkcs12Contents {
  /** PKCS#8 PEM private key (any algorithm: the key bag holds the PrivateKeyInfo as it is). */
  keyPem: string;
  /** The leaf certificate (PEM), paired with the key by its localKeyId. */
  certificatePem: string;
  /** The intermediates (PEM), after the leaf. */
  chainPems: readonly string[];
  password: string;
  /** friendlyName of the key and the leaf (RFC 7292 4.2, PKCS#9 friendlyName): the device id. */
  friendlyName: string;
}

/**
 * A PFX holding the key (shrouded), the leaf and its chain. Built from node-forge's ASN.1 and PKCS#12 primitives
 * rather than `toPkcs12Asn1`, which takes only forge's own RSA keys and certificates: device keys are often EC.
 */
export function pkcs12Der(contents: Pkcs12Contents): Buffer {
  const leafDer = single(contents.certificatePem, 'certificate');
  const keyDer = single(contents.keyPem, 'private key');
  // localKeyId = SHA-1 of the leaf, as OpenSSL sets it (RFC 7292 4.2, PKCS#9 9.2.3): pairs the key with its certificate.
  const localKeyId = forge.md.sha1.create().update(binary(leafDer)).digest().getBytes();
  const attributes = bagAttributes(localKeyId, contents.friendlyName);
  const certificateBags = [leafDer, ...contents.chainPems.map((pem) => single(pem, 'chain certificate'))].map((der, i) =>
    sequence([
      oid(pki.oids['certBag'] as string),
      explicit0(sequence([oid(pki.oids['x509Certificate'] as string), explicit0(octets(binary(der)))])),
      ...(i === 0 ? [attributes] : []),
    ]),
  );
  const privateKeyInfo = asn1.fromDer(binary(keyDer));
  const encrypted = pki.encryptPrivateKeyInfo(privateKeyInfo, contents.password, { algorithm: '3des', count: ITERATIONS });
  const keyBag = sequence([oid(pki.oids['pkcs8ShroudedKeyBag'] as string), explicit0(encrypted), attributes]);
  const authenticatedSafe = sequence([dataContentInfo(sequence(certificateBags)), dataContentInfo(sequence([keyBag]))]);
  const safeDer = asn1.toDer(authenticatedSafe).getBytes();
  // RFC 7292 5: the MAC key comes from the PKCS#12 KDF with ID 3, then HMAC over the AuthenticatedSafe's DER.
  const macSalt = forge.random.getBytesSync(8);
  const macKey = forge.pkcs12.generateKey(contents.password, forge.util.createBuffer(macSalt), 3, ITERATIONS, 20);
  const hmac = forge.hmac.create();
  hmac.start('sha1', macKey.getBytes());
  hmac.update(safeDer);
  const macData = sequence([
    sequence([sequence([oid(pki.oids['sha1'] as string), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]), octets(hmac.digest().getBytes())]),
    octets(macSalt),
    integer(ITERATIONS),
  ]);
  const pfx = sequence([integer(3), sequence([oid(pki.oids['data'] as string), explicit0(octets(safeDer))]), macData]);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}

function bagAttributes(localKeyId: string, friendlyName: string): Forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [
    sequence([oid(pki.oids['localKeyId'] as string), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [octets(localKeyId)])]),
    sequence([
      oid(pki.oids['friendlyName'] as string),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, friendlyName)]),
    ]),
  ]);
}

/** A PKCS#7 ContentInfo of type data (RFC 2315 8) holding `content`'s DER. */
function dataContentInfo(content: Forge.asn1.Asn1): Forge.asn1.Asn1 {
  return sequence([oid(pki.oids['data'] as string), explicit0(octets(asn1.toDer(content).getBytes()))]);
}

function sequence(items: Forge.asn1.Asn1[]): Forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
}

function explicit0(inner: Forge.asn1.Asn1): Forge.asn1.Asn1 {
  return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [inner]);
}

function oid(dotted: string): Forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
}

function octets(bytes: string): Forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
}

function integer(value: number): Forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(value).getBytes());
}

/** forge's byte strings hold one byte per character. */
function binary(der: Buffer): string {
  return der.toString('binary');
}

function single(pem: string, what: string): Buffer {
  const der = pemToDer(pem)[0];
  if (der === undefined) throw new RangeError(`expected a PEM ${what}`);
  return der;
}
