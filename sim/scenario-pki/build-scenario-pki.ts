import { createPrivateKey, type KeyObject } from 'node:crypto';
import { CertificateAuthority, generateKeyPair, pemToDer } from '../pki/index.js';
import { SeededRandom } from '../random/seeded-random.js';
import type { Scenario, ScenarioAuthority } from '../scenario/schema.js';
import { loadPemBundle, type BundleCertificate } from '../trust/pem-bundle.js';

/**
 * The certificates a scenario's `pki` section describes, as PEM text that crosses thread boundaries unchanged.
 * Keys are fresh for every run, except those of authorities imported from files; serial numbers come from the run seed.
 */
export interface ScenarioPki {
  /** Every authority (roots, intermediates, cross-signs) and every server certificate, by scenario name. */
  certificates: Record<string, string>;
  /** PKCS#8 private keys of the server certificates. */
  serverKeys: Record<string, string>;
  /** PKCS#8 private keys of the authorities that have their own key (cross-signs share their target's). */
  authorityKeys: Record<string, string>;
  /**
   * Stand-ins (authorities that mirror a real certificate), by authority name: the bundle (absolute path) and the
   * SHA-256 fingerprint of the real certificate the stand-in replaces in trust stores built from that bundle.
   */
  standIns: Record<string, { bundle: string; replaces: string }>;
  /**
   * Authorities imported from files, by name: the timeline's start, mixed into the seed of the serial numbers they
   * issue. Their key outlives the run, so two runs of the same seed must not issue two certificates with one serial
   * (RFC 5280 4.1.2.2: unique per CA); a replay of a run has its start, so it still issues the same ones.
   */
  serialScopes?: Record<string, string>;
}

export function buildScenarioPki(scenario: Scenario, seed: number): ScenarioPki {
  const certificates: Record<string, string> = {};
  const serverKeys: Record<string, string> = {};
  const authorityKeys: Record<string, string> = {};
  const standIns: Record<string, { bundle: string; replaces: string }> = {};
  const serialScopes: Record<string, string> = {};
  const authorities = new Map<string, CertificateAuthority>();
  /** Imported authorities without a key: their certificate only, for a cross-sign that copies subject and key. */
  const anchorsOnly = new Map<string, { certificateDer: Buffer }>();
  const byName = new Map(scenario.pki.authorities.map((a) => [a.name, a]));
  const serials = (name: string) => {
    const random = new SeededRandom(seed, `serials/${name}`);
    return () => serialBytes(random);
  };

  const build = (spec: ScenarioAuthority): void => {
    if (certificates[spec.name] !== undefined) return;
    if (spec.files !== undefined) {
      // A team's own CA, read and checked by the loader (sim/scenario/authority-files.ts): its certificate as it is.
      const imported = scenario.pki.imported?.[spec.name];
      if (imported === undefined) throw new RangeError(`authority "${spec.name}" is imported from files the scenario loader has not read`);
      const certificateDer = firstDer(imported.certificatePem);
      certificates[spec.name] = imported.certificatePem;
      if (imported.keyPem === undefined) {
        anchorsOnly.set(spec.name, { certificateDer });
        return;
      }
      authorityKeys[spec.name] = imported.keyPem;
      serialScopes[spec.name] = new Date(scenario.timeline.start).toISOString();
      authorities.set(
        spec.name,
        new CertificateAuthority({
          certificateDer,
          privateKey: createPrivateKey(imported.keyPem),
          serials: serials(`${spec.name}/issued/${serialScopes[spec.name]}`),
        }),
      );
      return;
    }
    // A stand-in: the real certificate's exact subject bytes and validity, with a key of our own.
    const real = spec.mirrors === undefined ? undefined : mirroredCertificate(spec);
    if (real && spec.mirrors) standIns[spec.name] = { bundle: spec.mirrors.bundle, replaces: real.certificate.fingerprint };
    const { notBefore, notAfter } = real?.certificate ?? validityOf(spec);
    if (spec.issuer !== undefined) build(required(byName, spec.issuer));
    if (spec.crossSigns !== undefined) build(required(byName, spec.crossSigns));
    if (spec.crossSigns !== undefined) {
      const target = authorities.get(spec.crossSigns) ?? required(anchorsOnly, spec.crossSigns);
      const issued = required(authorities, required(spec, 'issuer')).crossSign(target, {
        notBefore,
        notAfter,
        pathLength: spec.pathLength,
      });
      certificates[spec.name] = issued.pem;
      return;
    }
    const keyPair = generateKeyPair(spec.key);
    authorityKeys[spec.name] = pkcs8(keyPair.privateKey);
    const subject = real?.subjectDer ?? required(spec, 'subject');
    let authority: CertificateAuthority;
    if (spec.issuer === undefined) {
      authority = CertificateAuthority.selfSigned({
        subject,
        keyPair,
        notBefore,
        notAfter,
        pathLength: spec.pathLength,
        serial: serials(spec.name)(),
        serials: serials(`${spec.name}/issued`),
      });
    } else {
      const issued = required(authorities, spec.issuer).issue({
        subject,
        publicKey: keyPair.publicKey,
        profile: 'intermediate-ca',
        notBefore,
        notAfter,
        pathLength: spec.pathLength,
      });
      authority = new CertificateAuthority({
        certificateDer: issued.der,
        privateKey: keyPair.privateKey,
        serials: serials(`${spec.name}/issued`),
      });
    }
    authorities.set(spec.name, authority);
    certificates[spec.name] = authority.certificatePem;
  };
  scenario.pki.authorities.forEach(build);

  for (const server of scenario.pki.serverCertificates) {
    const keyPair = generateKeyPair(server.key);
    const ip = server.hosts.filter(isIPv4);
    const dns = server.hosts.filter((h) => !isIPv4(h));
    const issued = required(authorities, server.issuer).issue({
      subject: { CN: dns[0] ?? ip[0] ?? server.name },
      publicKey: keyPair.publicKey,
      profile: 'server',
      notBefore: server.notBefore,
      notAfter: server.notAfter,
      subjectAltNames: { dns, ip },
    });
    certificates[server.name] = issued.pem;
    serverKeys[server.name] = pkcs8(keyPair.privateKey);
  }
  return { certificates, serverKeys, authorityKeys, standIns, serialScopes };
}

/** The one certificate of its bundle a stand-in mirrors (sim/scenario/check-bundles.ts has checked there is one). */
function mirroredCertificate(spec: ScenarioAuthority): BundleCertificate {
  const mirrors = required(spec, 'mirrors');
  const found = loadPemBundle(mirrors.bundle).named(mirrors.subjectCN);
  const [real] = found;
  if (real === undefined || found.length > 1) {
    throw new RangeError(`authority "${spec.name}": ${found.length} certificates named "${mirrors.subjectCN}" in ${mirrors.bundle}, expected one`);
  }
  return real;
}

/** An authority's validity window as the scenario gives it. */
function validityOf(spec: ScenarioAuthority): { notBefore: number; notAfter: number } {
  if (spec.notBefore === undefined || spec.notAfter === undefined) {
    throw new RangeError(`authority "${spec.name}" has no notBefore/notAfter`);
  }
  return { notBefore: spec.notBefore, notAfter: spec.notAfter };
}

/** A CA that can issue, rebuilt from materials in whichever thread needs it. */
export function authorityFromPki(pki: ScenarioPki, name: string, seed: number, stream: string): CertificateAuthority {
  const pem = pki.certificates[name];
  const key = pki.authorityKeys[name];
  if (pem === undefined || key === undefined) throw new RangeError(`authority "${name}" has no certificate or key`);
  const scope = pki.serialScopes?.[name];
  const random = new SeededRandom(seed, scope === undefined ? `serials/${name}/${stream}` : `serials/${name}/${scope}/${stream}`);
  return new CertificateAuthority({
    certificateDer: firstDer(pem),
    privateKey: createPrivateKey(key),
    serials: () => serialBytes(random),
  });
}

function pkcs8(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function firstDer(pem: string): Buffer {
  const der = pemToDer(pem)[0];
  if (!der) throw new Error('expected a PEM certificate');
  return der;
}

/** 16 octets with the top bit clear (a positive DER INTEGER) and a non-zero first octet (RFC 5280 4.1.2.2). */
function serialBytes(random: SeededRandom): Buffer {
  const bytes = random.bytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes;
}

function isIPv4(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

function required<K, V>(from: Map<K, V>, key: K): V;
function required<T, K extends keyof T>(from: T, key: K): NonNullable<T[K]>;
function required(from: unknown, key: unknown): unknown {
  const value = from instanceof Map ? from.get(key) : (from as Record<string, unknown>)[key as string];
  if (value === undefined) throw new RangeError(`scenario PKI refers to "${String(key)}", which is not defined`);
  return value;
}

