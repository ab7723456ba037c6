import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { decodeName, readCertificate } from '../pki/index.js';
import type { Scenario, ScenarioAuthority } from '../scenario/schema.js';
import { loadPemBundle } from '../trust/pem-bundle.js';

/** One certificate of a CA folder and its key, as read (undefined where a file could not be read). */
export interface CaMaterial {
  name: string;
  /** The certificate's file, relative to the folder, for messages. */
  file: string;
  certificatePem: string | undefined;
  keyPem: string | undefined;
}

/**
 * What in a CA folder does not match the scenario: every authority and server certificate the scenario describes is
 * there and no other, with the subject, validity and issuer the scenario gives it (a stand-in, the real
 * certificate's; an imported authority, exactly its file's certificate), host names for a server certificate, and a
 * private key that belongs to it wherever the run would have one. One line per problem, naming pki.json's field.
 */
export function checkCaAgainstScenario(scenario: Scenario, authorities: readonly CaMaterial[], servers: readonly CaMaterial[]): string[] {
  const problems: string[] = [];
  const parsed = new Map<string, X509Certificate>();
  const parse = (section: string, material: CaMaterial): X509Certificate | undefined => {
    try {
      const certificate = new X509Certificate(material.certificatePem ?? '');
      parsed.set(material.name, certificate);
      return certificate;
    } catch (error) {
      problems.push(`${section}.${material.name}.certificate: ${material.file}: not a readable X.509 certificate (${(error as Error).message})`);
      return undefined;
    }
  };
  const byName = (list: readonly CaMaterial[]) => new Map(list.map((m) => [m.name, m]));
  const folderAuthorities = byName(authorities);
  const folderServers = byName(servers);
  sameNames('authorities', 'authority', scenario.pki.authorities.map((a) => a.name), folderAuthorities, problems);
  sameNames('serverCertificates', 'server certificate', scenario.pki.serverCertificates.map((s) => s.name), folderServers, problems);
  for (const material of [...authorities]) parse('authorities', material);
  for (const material of [...servers]) parse('serverCertificates', material);

  for (const spec of scenario.pki.authorities) {
    const material = folderAuthorities.get(spec.name);
    const certificate = parsed.get(spec.name);
    if (!material || !certificate) continue;
    const field = `authorities.${spec.name}`;
    const mismatch = (what: string) => problems.push(`${field}.certificate: ${material.file} ${what}`);
    if (spec.files !== undefined) {
      const imported = scenario.pki.imported?.[spec.name];
      if (imported && !new X509Certificate(imported.certificatePem).raw.equals(certificate.raw)) {
        mismatch(`is not the certificate of ${spec.files.certificateFile}, which the scenario imports`);
      }
      if (imported?.keyPem !== undefined) checkKey(field, material, certificate, problems);
      continue;
    }
    const expected = expectedAuthority(spec, parsed);
    if (expected.subject !== undefined && expected.subject !== certificate.subject) {
      mismatch(`has subject ${oneLine(certificate.subject)}, the scenario describes ${oneLine(expected.subject)}`);
    }
    if (expected.fields !== undefined) {
      const actual = decodeName(readCertificate(certificate.raw).subjectDer);
      for (const key of ['CN', 'O', 'OU', 'C'] as const) {
        if (actual[key] !== expected.fields[key]) mismatch(`has subject ${key} ${show(actual[key])}, the scenario says ${show(expected.fields[key])}`);
      }
    }
    checkValidity(certificate, expected.validity, mismatch);
    const issuer = spec.issuer === undefined ? certificate : parsed.get(spec.issuer);
    if (issuer && !certificate.verify(issuer.publicKey)) {
      mismatch(spec.issuer === undefined ? 'is not self-signed, the scenario describes a root' : `is not signed by authority "${spec.issuer}"`);
    }
    // A cross-sign carries its target's key: it has none of its own (sim/scenario-pki/build-scenario-pki.ts).
    if (spec.crossSigns === undefined) checkKey(field, material, certificate, problems);
  }

  for (const spec of scenario.pki.serverCertificates) {
    const material = folderServers.get(spec.name);
    const certificate = parsed.get(spec.name);
    if (!material || !certificate) continue;
    const field = `serverCertificates.${spec.name}`;
    const mismatch = (what: string) => problems.push(`${field}.certificate: ${material.file} ${what}`);
    checkValidity(certificate, { notBefore: spec.notBefore, notAfter: spec.notAfter }, mismatch);
    const issuer = parsed.get(spec.issuer);
    if (issuer && !certificate.verify(issuer.publicKey)) mismatch(`is not signed by authority "${spec.issuer}"`);
    const hosts = hostsOf(certificate);
    const expectedHosts = spec.hosts.map((h) => h.toLowerCase()).sort();
    if (hosts.join(',') !== expectedHosts.join(',')) mismatch(`names ${hosts.join(', ') || 'no host'}, the scenario says ${expectedHosts.join(', ')}`);
    checkKey(field, material, certificate, problems);
  }
  return problems;
}

/** The stand-ins the scenario describes (sim/scenario-pki/build-scenario-pki.ts): bundle and real fingerprint. */
export function mirroredStandIns(scenario: Scenario): Record<string, { bundle: string; replaces: string }> {
  const standIns: Record<string, { bundle: string; replaces: string }> = {};
  for (const spec of scenario.pki.authorities) {
    if (spec.mirrors === undefined) continue;
    const [real] = loadPemBundle(spec.mirrors.bundle).named(spec.mirrors.subjectCN);
    if (real) standIns[spec.name] = { bundle: spec.mirrors.bundle, replaces: real.certificate.fingerprint };
  }
  return standIns;
}

interface ExpectedAuthority {
  /** The exact subject (a cross-sign: its target's; a stand-in: the real certificate's). */
  subject?: string | undefined;
  /** The subject's attributes the scenario gives. */
  fields?: { CN?: string | undefined; O?: string | undefined; OU?: string | undefined; C?: string | undefined } | undefined;
  validity?: { notBefore: number; notAfter: number } | undefined;
}

function expectedAuthority(spec: ScenarioAuthority, parsed: ReadonlyMap<string, X509Certificate>): ExpectedAuthority {
  if (spec.mirrors !== undefined) {
    const [real] = loadPemBundle(spec.mirrors.bundle).named(spec.mirrors.subjectCN);
    return real ? { subject: real.certificate.subject, validity: { notBefore: real.certificate.notBefore, notAfter: real.certificate.notAfter } } : {};
  }
  const validity = spec.notBefore !== undefined && spec.notAfter !== undefined ? { notBefore: spec.notBefore, notAfter: spec.notAfter } : undefined;
  if (spec.crossSigns !== undefined) return { subject: parsed.get(spec.crossSigns)?.subject, validity };
  return { fields: spec.subject, validity };
}

/** RFC 5280 4.1.2.5: validity is encoded to the second. */
function checkValidity(certificate: X509Certificate, expected: { notBefore: number; notAfter: number } | undefined, mismatch: (what: string) => void): void {
  if (expected === undefined) return;
  const seconds = (t: number) => Math.floor(t / 1000);
  const notBefore = Date.parse(certificate.validFrom);
  const notAfter = Date.parse(certificate.validTo);
  if (seconds(notBefore) !== seconds(expected.notBefore) || seconds(notAfter) !== seconds(expected.notAfter)) {
    mismatch(`is valid ${iso(notBefore)} to ${iso(notAfter)}, the scenario says ${iso(expected.notBefore)} to ${iso(expected.notAfter)}`);
  }
}

function checkKey(field: string, material: CaMaterial, certificate: X509Certificate, problems: string[]): void {
  if (material.keyPem === undefined) {
    problems.push(`${field}.key: missing: expected the private key of ${material.file}`);
    return;
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(material.keyPem);
  } catch (error) {
    problems.push(`${field}.key: not a readable private key (${(error as Error).message})`);
    return;
  }
  if (!certificate.checkPrivateKey(key)) problems.push(`${field}.key: does not belong to ${material.file} (another key pair)`);
}

function sameNames(section: string, what: string, expected: readonly string[], found: ReadonlyMap<string, CaMaterial>, problems: string[]): void {
  for (const name of expected) if (!found.has(name)) problems.push(`${section}: no ${what} "${name}", which the scenario describes`);
  const known = new Set(expected);
  for (const name of found.keys()) if (!known.has(name)) problems.push(`${section}.${name}: the scenario describes no ${what} "${name}"`);
}

/** subjectAltName DNS names and IP addresses, lower case, sorted. */
function hostsOf(certificate: X509Certificate): string[] {
  return (certificate.subjectAltName ?? '')
    .split(', ')
    .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1]?.toLowerCase())
    .filter((host): host is string => host !== undefined)
    .sort();
}

function iso(t: number): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}

function oneLine(subject: string): string {
  return JSON.stringify(subject.replace(/\n/g, ', '));
}

function show(value: string | undefined): string {
  return value === undefined ? 'absent' : JSON.stringify(value);
}
