import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../sim/scenario/load-scenario.js';

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const FILE = join(SCENARIOS, 'stand-ins.yaml');
const DEBIAN = join(SCENARIOS, 'data/debian12-ca-certificates-20230311+deb12u1.crt');

const TEXT = `name: stand-ins
description: stand-ins for real roots
timeline: { start: 2030-01-01T00:00:00Z, end: 2030-02-01T00:00:00Z }
pki:
  authorities:
    - name: x1
      mirrors: { bundle: data/debian12-ca-certificates-20230311+deb12u1.crt, subjectCN: ISRG Root X1 }
    - name: device-root
      subject: { CN: Device Root }
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2050-01-01T00:00:00Z
  serverCertificates:
    - { name: broker-x1, issuer: x1, hosts: [x1.example], notBefore: 2029-01-01T00:00:00Z, notAfter: 2045-01-01T00:00:00Z }
    - { name: broker-local, issuer: device-root, notBefore: 2029-01-01T00:00:00Z, notAfter: 2045-01-01T00:00:00Z }
  deviceCertificates: { issuer: device-root, lifetime: 365d }
broker:
  serverCertificate: broker-local
  endpoints:
    - { host: x1.example, serverCertificate: broker-x1 }
  deviceAuthorities: [device-root]
fleet:
  devices: 1
  cohorts:
    - name: debian
      share: 1
      trustStore: { bundle: data/debian12-ca-certificates-20230311+deb12u1.crt, updates: ignore }
      connectivity: { host: x1.example }
`;

function problems(text: string): readonly string[] {
  try {
    parseScenario(text, FILE);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  return [];
}

describe('scenario bundles, stand-ins and endpoints', () => {
  it('resolves bundle paths against the scenario file and accepts a stand-in its bundle names once', () => {
    const scenario = parseScenario(TEXT, FILE);
    expect(scenario.pki.authorities[0]?.mirrors?.bundle).toBe(DEBIAN);
    expect(scenario.fleet.cohorts[0]?.trustStore.bundle).toBe(DEBIAN);
    expect(scenario.broker.endpoints).toEqual([{ host: 'x1.example', serverCertificate: 'broker-x1' }]);
    expect(scenario.fleet.cohorts[0]?.connectivity.host).toBe('x1.example');
  });

  it('reports a CN the bundle does not have, with its line and the bundle path', () => {
    expect(problems(TEXT.replace('subjectCN: ISRG Root X1', 'subjectCN: Nope'))).toEqual([
      `line 7, column 78: pki.authorities[0].mirrors.subjectCN: expected the CN of a certificate in ${DEBIAN}, got "Nope"`,
    ]);
  });

  it('reports a CN that several roots of the bundle share', () => {
    expect(problems(TEXT.replace('subjectCN: ISRG Root X1', 'subjectCN: GlobalSign'))).toEqual([
      `line 7, column 78: pki.authorities[0].mirrors.subjectCN: expected a CN that names one certificate in ${DEBIAN}, got "GlobalSign" (4 certificates have it)`,
    ]);
  });

  it('reports a bundle file that does not exist', () => {
    const found = problems(TEXT.replace('{ bundle: data/debian12-ca-certificates-20230311+deb12u1.crt, updates', '{ bundle: data/missing.crt, updates'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^line 26, column \d+: fleet\.cohorts\[0\]\.trustStore\.bundle: .*missing\.crt/);
  });

  it('refuses a stand-in that also gives a subject or validity, and two stand-ins for one root', () => {
    const text = TEXT.replace(
      '    - name: device-root\n',
      [
        '    - name: x1-again',
        '      mirrors: { bundle: data/debian12-ca-certificates-20230311+deb12u1.crt, subjectCN: ISRG Root X1 }',
        '      subject: { CN: ISRG Root X1 }',
        '      notAfter: 2040-01-01T00:00:00Z',
        '    - name: device-root',
        '',
      ].join('\n'),
    );
    expect(problems(text).map((p) => p.replace(/^line \d+, column \d+: /, ''))).toEqual([
      'pki.authorities[1].mirrors.subjectCN: expected a certificate no other stand-in mirrors, got the one "x1" mirrors',
      'pki.authorities[1].subject: expected no subject: a stand-in copies the subject and validity of the certificate it mirrors',
      'pki.authorities[1].notAfter: expected no notAfter: a stand-in copies the subject and validity of the certificate it mirrors',
    ]);
  });

  it('refuses an endpoint that reuses a host name or names no server certificate', () => {
    const text = TEXT.replace(
      '    - { host: x1.example, serverCertificate: broker-x1 }\n',
      '    - { host: x1.example, serverCertificate: broker-x1 }\n    - { host: X1.example, serverCertificate: nowhere }\n',
    );
    expect(problems(text).map((p) => p.replace(/^line \d+, column \d+: /, ''))).toEqual([
      'broker.endpoints[1].host: expected a host name not used by broker.host or another endpoint, got "X1.example"',
      'broker.endpoints[1].serverCertificate: expected the name of a server certificate in pki.serverCertificates, got "nowhere"',
    ]);
  });
});
