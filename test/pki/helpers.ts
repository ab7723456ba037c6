/** Shared helpers for the PKI tests: a scratch directory, the openssl CLI and a throwaway CA hierarchy. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { CertificateAuthority, generateKeyPair, type KeyAlgorithm, type KeyPair } from '../../sim/pki/index.js';
import { DAY } from '../support/time.js';

export { x509 };
export { DAY };
/** A fixed true time inside every validity window used by the tests. */
export const T0 = Date.UTC(2030, 0, 1);

export interface Scratch {
  dir: string;
  /** Writes `content` to `name` in the scratch directory and returns its path. */
  write(name: string, content: string | Buffer): string;
  cleanup(): void;
}

export function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-pki-'));
  return {
    dir,
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface OpensslResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the openssl CLI and returns exit status, stdout and stderr; a non-zero exit is returned, not thrown.
 * (spawnSync rather than execFileSync: some commands, e.g. `req -verify`, report failures on stderr with exit 0.)
 */
export function openssl(args: string[]): OpensslResult {
  const r = spawnSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `-attime` takes whole seconds since the epoch. */
export function attime(ms: number): string {
  return String(Math.floor(ms / 1000));
}

const RSA_POOL: KeyPair[] = [];
let rsaNext = 0;

/**
 * A key pair for a test. EC keys are always fresh; RSA-2048 keys take 0.2-0.5 s each, so they cycle through a pool
 * of 6 per test file (any 6 consecutive draws are distinct). CAs are still built fresh in every test.
 */
export function testKeyPair(algorithm: KeyAlgorithm = 'ec-p256'): KeyPair {
  if (algorithm === 'ec-p256') return generateKeyPair(algorithm);
  if (RSA_POOL.length < 6) RSA_POOL.push(generateKeyPair(algorithm));
  return RSA_POOL[rsaNext++ % RSA_POOL.length] as KeyPair;
}

export interface Hierarchy {
  root: CertificateAuthority;
  intermediate: CertificateAuthority;
  rootKeys: KeyPair;
  intermediateKeys: KeyPair;
}

/** A throwaway root (10 years from T0 - 1 day, pathLen 1; null for none) and intermediate (5 years, pathLen 0). */
export function hierarchy(algorithm: KeyAlgorithm = 'ec-p256', name = 'Test', rootPathLength: number | null = 1): Hierarchy {
  const rootKeys = testKeyPair(algorithm);
  const root = CertificateAuthority.selfSigned({
    subject: { C: 'DE', O: 'certfleet tests', CN: `${name} Root` },
    keyPair: rootKeys,
    notBefore: T0 - DAY,
    notAfter: T0 + 3650 * DAY,
    pathLength: rootPathLength ?? undefined,
  });
  const intermediateKeys = testKeyPair(algorithm);
  const issued = root.issue({
    subject: { C: 'DE', O: 'certfleet tests', OU: 'devices', CN: `${name} Intermediate` },
    publicKey: intermediateKeys.publicKey,
    profile: 'intermediate-ca',
    notBefore: T0 - DAY,
    notAfter: T0 + 1825 * DAY,
    pathLength: 0,
  });
  const intermediate = new CertificateAuthority({ certificateDer: issued.der, privateKey: intermediateKeys.privateKey });
  return { root, intermediate, rootKeys, intermediateKeys };
}

/** The hex SKI / AKI lines that `openssl x509 -text` prints (OpenSSL 3.0 prints AKI without a "keyid:" prefix). */
export function textKeyIds(text: string): { ski: string | undefined; aki: string | undefined } {
  const ski = /X509v3 Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(text)?.[1];
  const aki = /X509v3 Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
  return { ski, aki };
}
