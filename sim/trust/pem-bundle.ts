/**
 * PEM root bundles, such as Debian's /etc/ssl/certs/ca-certificates.crt: the certificates a real trust store holds.
 *
 * A bundle is read and parsed once per process (each worker thread has its own module instance, so once per
 * worker), cached by absolute path and re-read only if the file's size or modification time changed. Every device
 * of a worker whose store comes from the bundle shares the same parsed certificates.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { readBoundedFile, UnreadableFileError } from '../input/read-bounded-file.js';
import { UserInputError } from '../input/user-input-error.js';
import { decodeName, readCertificate } from '../pki/index.js';
import { CertificatePool } from '../verify/certificate-pool.js';
import type { ParsedCertificate } from '../verify/types.js';

export interface BundleCertificate {
  certificate: ParsedCertificate;
  /** The exact subject Name DER, for a stand-in that must chain byte for byte where the real one did. */
  subjectDer: Buffer;
  /**
   * The CN; for a certificate without one, its OU, as root stores list such roots (Starfield Class 2, Go Daddy
   * Class 2, Security Communication RootCA2).
   */
  name: string;
}

export interface PemBundle {
  /** Absolute path of the file. */
  readonly path: string;
  /** Every certificate, in file order. The same frozen array for every caller. */
  readonly certificates: readonly ParsedCertificate[];
  /** The certificates whose name (CN, or OU without a CN) is exactly `name`, in file order. */
  named(name: string): BundleCertificate[];
}

/** A bundle that cannot be used; the message says why and names the file. */
export class PemBundleError extends UserInputError {
  readonly path: string;

  constructor(path: string, message: string) {
    super(path, [message], message);
    this.name = 'PemBundleError';
    this.path = path;
  }
}

/**
 * Debian's ca-certificates.crt is about 220 KiB; a bundle is refused above this before it is read (a path such as
 * /dev/zero would otherwise be read until memory runs out).
 */
export const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;

const cache = new Map<string, { size: number; mtimeMs: number; bundle: PemBundle }>();

/** Reads (or returns the cached parse of) a PEM bundle. Throws a `PemBundleError` when it is unreadable or empty. */
export function loadPemBundle(path: string): PemBundle {
  const absolute = resolve(path);
  let size: number;
  let mtimeMs: number;
  let text: string;
  try {
    ({ size, mtimeMs } = statSync(absolute));
    const hit = cache.get(absolute);
    if (hit && hit.size === size && hit.mtimeMs === mtimeMs) return hit.bundle;
    text = readBoundedFile(absolute, MAX_BUNDLE_BYTES).toString('latin1');
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new PemBundleError(absolute, `${absolute}: ${error.reason}`);
    const code = (error as NodeJS.ErrnoException).code;
    throw new PemBundleError(absolute, code === 'ENOENT' ? `no such file: ${absolute}` : `cannot read ${absolute} (${code ?? 'unknown error'})`);
  }
  const bundle = parseBundle(absolute, text);
  cache.set(absolute, { size, mtimeMs, bundle });
  return bundle;
}

/**
 * The bundle's certificates with some replaced (`replacements`: real certificate fingerprint -> the certificate
 * that takes its place, e.g. a stand-in with the same subject and our own key), in file order.
 */
export function replaceInBundle(bundle: PemBundle, replacements: ReadonlyMap<string, ParsedCertificate>): ParsedCertificate[] {
  return bundle.certificates.map((c) => replacements.get(c.fingerprint) ?? c);
}

function parseBundle(path: string, text: string): PemBundle {
  let certificates: ParsedCertificate[];
  try {
    // Latin-1 keeps every byte; PEM is ASCII, and text between blocks (comments) is ignored.
    certificates = new CertificatePool().parsePem(text);
  } catch (error) {
    throw new PemBundleError(path, `${path} holds a certificate that does not parse (${(error as Error).message})`);
  }
  if (certificates.length === 0) throw new PemBundleError(path, `${path} holds no PEM certificate`);
  const byName = new Map<string, BundleCertificate[]>();
  for (const certificate of certificates) {
    let subjectDer: Buffer;
    try {
      subjectDer = Buffer.from(readCertificate(certificate.der).subjectDer);
    } catch {
      // Node parses it but certfleet's strict DER reader does not: it stays in the store, but cannot be mirrored.
      continue;
    }
    const { CN, OU } = decodeName(subjectDer);
    const name = CN ?? OU;
    if (name !== undefined) byName.set(name, [...(byName.get(name) ?? []), { certificate, subjectDer, name }]);
  }
  return { path, certificates: Object.freeze(certificates), named: (name) => [...(byName.get(name) ?? [])] };
}
