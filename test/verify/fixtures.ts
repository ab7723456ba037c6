/**
 * Certificates for the verifier tests, built with certfleet's own PKI module, and a runner for the real
 * `openssl verify` used as a cross-check.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority, generateKeyPair, toPem } from '../../sim/pki/index.js';
import type { CertificateProfile, KeyPair } from '../../sim/pki/index.js';
import { CertificatePool, verifyChainAt } from '../../sim/verify/index.js';
import type { Verdict, VerifyInput } from '../../sim/verify/index.js';
import type { ParsedCertificate, Purpose } from '../../sim/verify/index.js';

export const pool = new CertificatePool();

/** The tests' judge: verifyChainAt with the fixtures' pool unless a test brings its own. */
export type TestInput = Omit<VerifyInput, 'pool'> & { pool?: VerifyInput['pool'] };
export const verifyWithPool = (input: TestInput): Verdict => verifyChainAt({ ...input, pool: input.pool ?? pool });

export const T = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new RangeError(iso);
  return t;
};

export interface TestCa {
  ca: CertificateAuthority;
  cert: ParsedCertificate;
  keyPair: KeyPair;
}

export function root(cn: string, notBefore: string, notAfter: string, keyPair = generateKeyPair()): TestCa {
  const ca = CertificateAuthority.selfSigned({ subject: { CN: cn, O: 'certfleet test' }, keyPair, notBefore: T(notBefore), notAfter: T(notAfter) });
  return { ca, cert: pool.parse(ca.certificateDer), keyPair };
}

export function intermediate(
  parent: TestCa,
  cn: string,
  notBefore: string,
  notAfter: string,
  opts: { keyPair?: KeyPair; pathLength?: number } = {},
): TestCa {
  const keyPair = opts.keyPair ?? generateKeyPair();
  const issued = parent.ca.issue({
    subject: { CN: cn, O: 'certfleet test' },
    publicKey: keyPair.publicKey,
    profile: 'intermediate-ca',
    notBefore: T(notBefore),
    notAfter: T(notAfter),
    pathLength: opts.pathLength,
  });
  const ca = new CertificateAuthority({ certificateDer: issued.der, privateKey: keyPair.privateKey });
  return { ca, cert: pool.parse(issued.der), keyPair };
}

export function leaf(
  parent: TestCa,
  cn: string,
  notBefore: string,
  notAfter: string,
  profile: Extract<CertificateProfile, 'server' | 'device'> = 'server',
): ParsedCertificate {
  const keyPair = generateKeyPair();
  const issued = parent.ca.issue({
    subject: { CN: cn, O: 'certfleet test' },
    publicKey: keyPair.publicKey,
    profile,
    notBefore: T(notBefore),
    notAfter: T(notAfter),
    subjectAltNames: profile === 'server' ? { dns: ['localhost'], ip: ['127.0.0.1'] } : undefined,
  });
  return pool.parse(issued.der);
}

/** `ca` re-signed by `by` (same subject, key and SKI), as ISRG Root X1 was by DST Root CA X3. */
export function crossSign(target: TestCa, by: TestCa, notBefore: string, notAfter: string): TestCa {
  const issued = by.ca.crossSign({ certificateDer: target.ca.certificateDer }, { notBefore: T(notBefore), notAfter: T(notAfter) });
  return {
    ca: new CertificateAuthority({ certificateDer: issued.der, privateKey: target.keyPair.privateKey }),
    cert: pool.parse(issued.der),
    keyPair: target.keyPair,
  };
}

/** A CA that carries `real`'s certificate (issuer name, AKI) but signs with another key: its children are forged. */
export function forger(real: TestCa): TestCa {
  const wrong = generateKeyPair();
  return { ca: new CertificateAuthority({ certificateDer: real.ca.certificateDer, privateKey: wrong.privateKey }), cert: real.cert, keyPair: wrong };
}

// --- openssl verify ---

export interface OpensslError {
  code: number;
  depth: number;
}

export interface OpensslRun {
  ok: boolean;
  /** Every "error N at D depth lookup" line, in the order printed. */
  errors: OpensslError[];
  output: string;
}

export interface OpensslRequest {
  leaf: ParsedCertificate;
  untrusted: readonly ParsedCertificate[];
  /** The CAfile contents; empty: no trusted certificate at all. */
  trusted: readonly ParsedCertificate[];
  at: number;
  purpose?: Purpose | undefined;
  hostname?: string | undefined;
  /** DER CRLs for -crl_check (leaf only). */
  crls?: readonly Buffer[] | undefined;
}

const pem = (certs: readonly ParsedCertificate[]): string => certs.map((c) => toPem(c.der, 'CERTIFICATE')).join('');

/** Runs OpenSSL's `verify` at `-attime` with nothing but the given files (no system store). */
export function opensslVerify(req: OpensslRequest): OpensslRun {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-verify-'));
  try {
    const args = ['verify', '-attime', String(Math.floor(req.at / 1000)), '-no-CApath', '-no-CAstore'];
    if (req.trusted.length > 0) {
      writeFileSync(join(dir, 'ca.pem'), pem(req.trusted));
      args.push('-CAfile', join(dir, 'ca.pem'));
    } else {
      args.push('-no-CAfile');
    }
    if (req.untrusted.length > 0) {
      writeFileSync(join(dir, 'untrusted.pem'), pem(req.untrusted));
      args.push('-untrusted', join(dir, 'untrusted.pem'));
    }
    if (req.purpose) args.push('-purpose', req.purpose === 'serverAuth' ? 'sslserver' : 'sslclient');
    if (req.hostname !== undefined) args.push(isIP(req.hostname) ? '-verify_ip' : '-verify_hostname', req.hostname);
    if (req.crls && req.crls.length > 0) {
      writeFileSync(join(dir, 'crl.pem'), req.crls.map((c) => toPem(c, 'X509 CRL')).join(''));
      args.push('-crl_check', '-CRLfile', join(dir, 'crl.pem'));
    }
    writeFileSync(join(dir, 'leaf.pem'), pem([req.leaf]));
    args.push(join(dir, 'leaf.pem'));
    const run = spawnSync('openssl', args, { encoding: 'utf8' });
    const output = `${run.stdout}${run.stderr}`;
    const errors = [...output.matchAll(/error (\d+) at (\d+) depth lookup/g)].map((m) => ({ code: Number(m[1]), depth: Number(m[2]) }));
    return { ok: run.status === 0 && errors.length === 0, errors, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
