import { execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cohortAnchorsPem } from '../../sim/export/cohort-anchors.js';
import { pemToDer, readCertificate } from '../../sim/pki/index.js';
import { bundleAnchors } from '../../sim/scenario-pki/bundle-anchors.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { parseScenario } from '../../sim/scenario/load-scenario.js';
import type { Scenario } from '../../sim/scenario/schema.js';
import { loadPemBundle, PemBundleError } from '../../sim/trust/pem-bundle.js';
import { TrustStore } from '../../sim/trust/trust-store.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { T, verifyWithPool } from '../verify/fixtures.js';

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const DEBIAN = join(SCENARIOS, 'data/debian12-ca-certificates-20230311+deb12u1.crt');

/** Two stand-ins for real Debian roots, one broker certificate under each, a cohort whose store is the bundle. */
const STAND_INS = `
name: stand-ins
description: stand-ins for real roots
timeline: { start: 2030-01-01T00:00:00Z, end: 2030-02-01T00:00:00Z }
pki:
  authorities:
    - name: g2
      mirrors: { bundle: data/debian12-ca-certificates-20230311+deb12u1.crt, subjectCN: DigiCert Global Root G2 }
    - name: starfield
      mirrors: { bundle: data/debian12-ca-certificates-20230311+deb12u1.crt, subjectCN: Starfield Class 2 Certification Authority }
    - name: device-root
      subject: { CN: Device Root }
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2050-01-01T00:00:00Z
  serverCertificates:
    - { name: broker-g2, issuer: g2, hosts: [g2.example], notBefore: 2029-01-01T00:00:00Z, notAfter: 2045-01-01T00:00:00Z }
  deviceCertificates: { issuer: device-root, lifetime: 365d }
broker:
  host: g2.example
  serverCertificate: broker-g2
  deviceAuthorities: [device-root]
fleet:
  devices: 1
  cohorts:
    - name: debian
      share: 1
      trustStore: { bundle: data/debian12-ca-certificates-20230311+deb12u1.crt, updates: ignore }
`;

describe('a PEM root bundle', () => {
  it('is read once per process: the same parsed certificates for every caller, in file order', () => {
    const bundle = loadPemBundle(DEBIAN);
    // Debian ca-certificates 20230311+deb12u1: 142 roots (domain research section 6).
    expect(bundle.certificates).toHaveLength(142);
    expect(Object.isFrozen(bundle.certificates)).toBe(true);
    expect(loadPemBundle(DEBIAN)).toBe(bundle);
    expect(bundle.certificates[0]?.label).toBe('ACCVRAIZ1');
  });

  it('names a root by its CN, or by its OU when it has no CN, and keeps every root of an ambiguous name', () => {
    const bundle = loadPemBundle(DEBIAN);
    expect(bundle.named('ISRG Root X1').map((e) => e.certificate.notAfter)).toEqual([T('2035-06-04T11:04:38Z')]);
    expect(bundle.named('Starfield Class 2 Certification Authority').map((e) => e.certificate.notAfter)).toEqual([T('2034-06-29T17:39:16Z')]);
    expect(bundle.named('GlobalSign')).toHaveLength(4);
    expect(bundle.named('Nope')).toEqual([]);
  });

  it('refuses a file without certificates and a file that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-bundle-'));
    writeFileSync(join(dir, 'empty.crt'), '# nothing here\n');
    expect(() => loadPemBundle(join(dir, 'empty.crt'))).toThrow(PemBundleError);
    expect(() => loadPemBundle(join(dir, 'empty.crt'))).toThrow(/holds no PEM certificate/);
    expect(() => loadPemBundle(join(dir, 'missing.crt'))).toThrow(/no such file/);
  });

  it('refuses /dev/zero, a named pipe and a file over 16 MiB before reading them, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-bundle-'));
    expect(() => loadPemBundle('/dev/zero')).toThrow(new PemBundleError('/dev/zero', '/dev/zero: not a regular file (a character device), expected a file'));
    const pipe = join(dir, 'roots.fifo');
    execFileSync('mkfifo', [pipe]);
    expect(() => loadPemBundle(pipe)).toThrow(`${pipe}: not a regular file (a named pipe), expected a file`);
    const huge = join(dir, 'huge.crt');
    writeFileSync(huge, '');
    truncateSync(huge, 17 * 1024 * 1024);
    expect(() => loadPemBundle(huge)).toThrow(`${huge}: 17 MiB, larger than the 16 MiB certfleet reads: refused`);
  });

  it('is read again when the file changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-bundle-'));
    const file = join(dir, 'roots.crt');
    const pems = loadPemBundle(DEBIAN).certificates.map((c) => c.x509.toString());
    writeFileSync(file, pems.slice(0, 2).join(''));
    expect(loadPemBundle(file).certificates).toHaveLength(2);
    writeFileSync(file, pems.slice(0, 3).join(''));
    expect(loadPemBundle(file).certificates).toHaveLength(3);
  });
});

describe('a stand-in for a real root', () => {
  let pki: ScenarioPki;
  let scenario: Scenario;
  const pool = new CertificatePool();
  const parse = (name: string): ParsedCertificate => {
    const parsed = pool.parsePem(pki.certificates[name] ?? '')[0];
    if (!parsed) throw new Error(`no certificate ${name}`);
    return parsed;
  };
  const real = (cn: string) => {
    const [entry] = loadPemBundle(DEBIAN).named(cn);
    if (!entry) throw new Error(`no ${cn} in the bundle`);
    return entry;
  };

  beforeAll(() => {
    scenario = parseScenario(STAND_INS, join(SCENARIOS, 'stand-ins.yaml'));
    pki = buildScenarioPki(scenario, 5);
  });

  it('has the real subject bytes and validity, and a key of its own', () => {
    for (const [name, cn] of [
      ['g2', 'DigiCert Global Root G2'],
      ['starfield', 'Starfield Class 2 Certification Authority'],
    ] as const) {
      const standIn = parse(name);
      const original = real(cn);
      expect(readCertificate(standIn.der).subjectDer.equals(original.subjectDer)).toBe(true);
      expect(readCertificate(standIn.der).issuerDer.equals(original.subjectDer)).toBe(true);
      expect([standIn.notBefore, standIn.notAfter]).toEqual([original.certificate.notBefore, original.certificate.notAfter]);
      expect(standIn.spkiFingerprint).not.toBe(original.certificate.spkiFingerprint);
      expect(standIn.selfSigned).toBe(true);
    }
    expect(parse('g2').notAfter).toBe(T('2038-01-15T12:00:00Z'));
  });

  it('records which bundle certificate it replaces', () => {
    expect(pki.standIns).toEqual({
      g2: { bundle: DEBIAN, replaces: real('DigiCert Global Root G2').certificate.fingerprint },
      starfield: { bundle: DEBIAN, replaces: real('Starfield Class 2 Certification Authority').certificate.fingerprint },
    });
  });

  it('takes the real root\'s place in a store built from the bundle, which keeps every other real root in order', () => {
    const anchors = bundleAnchors(pki, DEBIAN, parse);
    const bundle = loadPemBundle(DEBIAN).certificates;
    expect(anchors).toHaveLength(bundle.length);
    const replaced = new Set(Object.values(pki.standIns).map((s) => s.replaces));
    anchors.forEach((anchor, i) => {
      const original = bundle[i] as ParsedCertificate;
      if (replaced.has(original.fingerprint)) {
        expect(anchor.fingerprint).not.toBe(original.fingerprint);
        expect(anchor.subject).toBe(original.subject);
      } else {
        expect(anchor).toBe(original);
      }
    });
    expect(anchors.map((a) => a.fingerprint)).toEqual(expect.arrayContaining([parse('g2').fingerprint, parse('starfield').fingerprint]));
  });

  it('lets a device with the real store verify the broker until the real root\'s notAfter, and not after', () => {
    const anchors = bundleAnchors(pki, DEBIAN, parse);
    const judge = (at: number, store: readonly ParsedCertificate[]) =>
      verifyWithPool({
        leaf: parse('broker-g2'),
        presented: [],
        anchors: store,
        at,
        policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
        purpose: 'serverAuth',
        hostname: 'g2.example',
      });
    const ok = judge(T('2038-01-15T12:00:00Z'), anchors);
    expect(ok.cause).toBe('ok');
    expect(ok.path.map((c) => c.label)).toEqual(['g2.example', 'DigiCert Global Root G2']);
    expect(judge(T('2038-01-15T12:00:01Z'), anchors).cause).toBe('expired_root');
    // The untouched real store has the name but not our key: the broker's chain does not verify against it.
    expect(judge(T('2030-01-01T00:00:00Z'), loadPemBundle(DEBIAN).certificates).cause).not.toBe('ok');
  });

  it('is in the anchors.pem exported for the cohort, which holds the store the device workers build, in their order', () => {
    const exported = cohortAnchorsPem(scenario, pki, 0);
    expect(exported.map((pem) => pemToDer(pem)[0])).toEqual(bundleAnchors(pki, DEBIAN, parse).map((anchor) => anchor.der));
    expect(exported).toHaveLength(142);
    expect(exported).toContain(pki.certificates['g2']);
  });

  it('lets every device of a cohort share one frozen anchors array until an update changes it', () => {
    const anchors = Object.freeze(bundleAnchors(pki, DEBIAN, parse));
    const store = new TrustStore({ anchors, mode: 'updatable' });
    expect(store.anchorsAt(T('2030-01-01T00:00:00Z'))).toBe(anchors);
    store.applyUpdate({ id: 'u1', effectiveAt: T('2031-01-01T00:00:00Z'), add: [], remove: [parse('g2').fingerprint] });
    expect(store.anchorsAt(T('2030-06-01T00:00:00Z'))).toBe(anchors);
    expect(store.anchorsAt(T('2031-01-01T00:00:00Z'))).toHaveLength(anchors.length - 1);
  });
});
