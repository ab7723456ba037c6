import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { readBoundedFile, UnreadableFileError } from '../input/read-bounded-file.js';
import { certificateBasicConstraints, EXTENSION_OIDS, pemBlocks, readCertificate, toPem, type CertificateFields } from '../pki/index.js';
import { decodeBitString, expectTag, readSingle } from '../pki/der-reader.js';
import { keyKind } from '../pki/key-pair.js';
import type { ImportedAuthority } from './authority-files-schema.js';
import type { ScenarioProblem } from './check-references.js';
import type { Scenario, ScenarioAuthority } from './schema.js';

/** A CA certificate is a few KiB; a file much larger is not one certificate. */
const MAX_CERTIFICATE_BYTES = 256 * 1024;
/** A private key is a few KiB even for RSA-8192. */
const MAX_KEY_BYTES = 64 * 1024;
/** RFC 5280 4.2.1.3: keyCertSign is bit 5 of the keyUsage BIT STRING (0x04 of its first octet). */
const KEY_CERT_SIGN = 0x80 >> 5;

/** Fields the certificate file gives an imported authority, which the scenario must not give again. */
const FROM_THE_CERTIFICATE = ['subject', 'notBefore', 'notAfter', 'issuer', 'crossSigns', 'mirrors', 'pathLength', 'key'] as const;

/**
 * Loads the authorities a scenario imports (`pki.authorities[].files`): makes their paths absolute (relative to the
 * scenario's folder), reads each file within its bound, checks that the certificate is one CA certificate and the
 * key (when given) an unencrypted private key of a kind the CA signs with that matches the certificate's public key,
 * and keeps what it read in `scenario.pki.imported`, so building the PKI reads no file and uses what was checked.
 * `written` is the scenario as written (before defaults), to tell a `key` the file gave from the default one.
 */
export function importAuthorityFiles(scenario: Scenario, written: unknown, baseDir: string): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const imported: Record<string, ImportedAuthority> = {};
  scenario.pki.authorities.forEach((authority, i) => {
    const files = authority.files;
    if (files === undefined) return;
    const path = ['pki', 'authorities', i];
    const writtenAuthority = writtenAuthorityAt(written, i);
    for (const field of FROM_THE_CERTIFICATE) {
      if (writtenAuthority[field] === undefined) continue;
      problems.push({
        path: [...path, field],
        message: `expected no ${field} beside files: an imported authority's subject, issuer, validity, path length and key come from its certificate file`,
      });
    }
    files.certificateFile = absolute(baseDir, files.certificateFile);
    if (files.keyFile !== undefined) files.keyFile = absolute(baseDir, files.keyFile);
    const found: ScenarioProblem[] = [];
    const certificate = readCaCertificate(files.certificateFile, [...path, 'files', 'certificateFile'], found);
    const key = files.keyFile === undefined ? undefined : readPrivateKey(files.keyFile, [...path, 'files', 'keyFile'], found);
    if (certificate && key) checkKeyMatches(certificate, key, files, [...path, 'files', 'keyFile'], found);
    problems.push(...found);
    if (certificate && found.length === 0) {
      imported[authority.name] = {
        certificatePem: toPem(certificate.der, 'CERTIFICATE'),
        keyPem: key?.export({ type: 'pkcs8', format: 'pem' }).toString(),
      };
    }
  });
  if (Object.keys(imported).length > 0) scenario.pki.imported = imported;
  return [...problems, ...keylessIssuers(scenario)];
}

/**
 * An authority imported without its key can be a trust anchor (of devices, of the broker, a cross-sign's subject)
 * but cannot sign: refuses every place that would make it issue a certificate.
 */
export function keylessIssuers(scenario: Scenario): ScenarioProblem[] {
  const keyless = new Set(scenario.pki.authorities.filter((a) => a.files !== undefined && a.files.keyFile === undefined).map((a) => a.name));
  const problems: ScenarioProblem[] = [];
  const expectKey = (path: (string | number)[], ref: string) => {
    if (!keyless.has(ref)) return;
    problems.push({
      path,
      message: `expected an authority with a private key, got "${ref}", imported without files.keyFile (it can only be a trust anchor)`,
    });
  };
  scenario.pki.authorities.forEach((a, i) => {
    if (a.issuer !== undefined) expectKey(['pki', 'authorities', i, 'issuer'], a.issuer);
  });
  scenario.pki.serverCertificates.forEach((s, i) => expectKey(['pki', 'serverCertificates', i, 'issuer'], s.issuer));
  expectKey(['pki', 'deviceCertificates', 'issuer'], scenario.pki.deviceCertificates.issuer);
  const bootstrap = scenario.pki.bootstrapCertificates;
  if (bootstrap) expectKey(['pki', 'bootstrapCertificates', 'issuer'], bootstrap.issuer);
  return problems;
}

function writtenAuthorityAt(written: unknown, index: number): Record<string, unknown> {
  const authorities = (written as { pki?: { authorities?: unknown } } | null)?.pki?.authorities;
  const entry = Array.isArray(authorities) ? (authorities[index] as unknown) : undefined;
  return typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
}

function absolute(baseDir: string, file: string): string {
  return isAbsolute(file) ? file : resolve(baseDir, file);
}

/** The file's text, or a problem saying why it cannot be read. */
function readText(file: string, maxBytes: number, path: (string | number)[], what: string, problems: ScenarioProblem[]): string | undefined {
  try {
    return readBoundedFile(file, maxBytes).toString('latin1');
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    problems.push({ path, message: `expected ${what}: ${file}: ${error.reason}` });
    return undefined;
  }
}

/** One PEM certificate with basicConstraints cA TRUE (RFC 5280 4.2.1.9), parsed. */
function readCaCertificate(
  file: string,
  path: (string | number)[],
  problems: ScenarioProblem[],
): (CertificateFields & { der: Buffer }) | undefined {
  const what = 'a PEM CA certificate';
  const text = readText(file, MAX_CERTIFICATE_BYTES, path, what, problems);
  if (text === undefined) return undefined;
  const refuse = (reason: string) => {
    problems.push({ path, message: `expected ${what}: ${file}: ${reason}` });
    return undefined;
  };
  let blocks: { label: string; der: Buffer }[];
  try {
    blocks = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
  } catch (error) {
    return refuse((error as Error).message);
  }
  const [block] = blocks;
  if (block === undefined) return refuse('no certificate in it (-----BEGIN CERTIFICATE-----)');
  if (blocks.length > 1) return refuse(`${blocks.length} certificates in it, expected one (import each authority of a chain as an authority of its own)`);
  let certificate: CertificateFields;
  let ca: boolean;
  try {
    certificate = readCertificate(block.der);
    ca = certificateBasicConstraints(certificate).ca;
  } catch (error) {
    return refuse(`not a readable X.509 certificate (${(error as Error).message})`);
  }
  if (!ca) {
    return refuse('not a CA certificate (its basicConstraints does not say cA TRUE, RFC 5280 4.2.1.9)');
  }
  return { ...certificate, der: block.der };
}

/** An unencrypted PEM private key of a kind the CA signs with (EC P-256, P-384, RSA). */
function readPrivateKey(file: string, path: (string | number)[], problems: ScenarioProblem[]): KeyObject | undefined {
  const what = 'an unencrypted PEM private key';
  const text = readText(file, MAX_KEY_BYTES, path, what, problems);
  if (text === undefined) return undefined;
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    // PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 3) or a legacy OpenSSL PEM with a Proc-Type header (RFC 1421 4.6.1.1).
    const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(text);
    problems.push({
      path,
      message: `expected ${what}: ${file}: ${encrypted ? 'the key is encrypted (decrypt it, e.g. openssl pkey -in <file> -out <new file>)' : 'no private key in it (-----BEGIN PRIVATE KEY-----, EC or RSA)'}`,
    });
    return undefined;
  }
  try {
    keyKind(key);
  } catch (error) {
    problems.push({ path, message: `expected a key the CA can sign with: ${file}: ${(error as Error).message}` });
    return undefined;
  }
  return key;
}

/** RFC 5280 4.1.2.7: the key must be the private half of the certificate's subjectPublicKeyInfo. */
function checkKeyMatches(
  certificate: CertificateFields,
  key: KeyObject,
  files: NonNullable<ScenarioAuthority['files']>,
  path: (string | number)[],
  problems: ScenarioProblem[],
): void {
  let certificateKey: KeyObject;
  try {
    certificateKey = createPublicKey({ key: certificate.spkiDer, format: 'der', type: 'spki' });
  } catch (error) {
    problems.push({ path, message: `expected a certificate whose public key can be read: ${files.certificateFile}: ${(error as Error).message}` });
    return;
  }
  if (!createPublicKey(key).equals(certificateKey)) {
    problems.push({ path, message: `expected the private key of the certificate in ${files.certificateFile}: ${files.keyFile ?? ''} holds another key` });
    return;
  }
  // RFC 5280 4.2.1.3: a CA with a keyUsage signs certificates only with keyCertSign (OpenSSL refuses the chain otherwise).
  if (!allowsKeyCertSign(certificate)) {
    problems.push({
      path: path.slice(0, -1).concat('certificateFile'),
      message: `expected a CA certificate whose keyUsage allows keyCertSign (RFC 5280 4.2.1.3), since it has a key to issue with: ${files.certificateFile}`,
    });
  }
}

/** RFC 5280 4.2.1.3: no keyUsage, or one with keyCertSign; a keyUsage that cannot be read allows nothing. */
function allowsKeyCertSign(certificate: CertificateFields): boolean {
  const usage = certificate.extensions.get(EXTENSION_OIDS.keyUsage);
  if (usage === undefined) return true;
  try {
    const bits = decodeBitString(expectTag(readSingle(usage.value, 'keyUsage'), 0x03, 'keyUsage'), 'keyUsage').bytes;
    return ((bits[0] ?? 0) & KEY_CERT_SIGN) !== 0;
  } catch {
    return false;
  }
}
