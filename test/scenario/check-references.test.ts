import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../sim/scenario/check-references.js';
import { parseScenario } from '../../sim/scenario/load-scenario.js';
import { resolveTimeline } from '../../sim/scenario/resolve-timeline.js';
import { scenarioSchema, type Scenario } from '../../sim/scenario/schema.js';
import { parse as parseYaml } from 'yaml';
import { BASE, edited, type Edit } from './scenario-text.js';

/** The scenario after the schema alone (no reference checks), so checkReferences can be called directly. */
function schemaOnly(...edits: Edit[]): Scenario {
  return resolveTimeline(scenarioSchema.parse(parseYaml(edited(...edits))), 0).scenario;
}

describe('checkReferences', () => {
  it('finds nothing in the minimal valid scenario', () => {
    expect(checkReferences(parseScenario(BASE, 'test.yaml'))).toEqual([]);
  });

  it('returns every problem with its path into the document, never only the first', () => {
    const scenario = schemaOnly(
      ['      issuer: root\n', '      issuer: nowhere\n'],
      ['      share: 0.4', '      share: 0.3'],
      ['  deviceAuthorities: [root]', '  deviceAuthorities: [root, ghost]'],
      ['    use: broker', '    use: other'],
    );
    expect(checkReferences(scenario)).toEqual([
      { path: ['pki', 'authorities', 1, 'issuer'], message: 'expected the name of an authority in pki.authorities, got "nowhere"' },
      { path: ['broker', 'deviceAuthorities', 1], message: 'expected the name of an authority in pki.authorities, got "ghost"' },
      { path: ['fleet', 'cohorts'], message: 'expected cohort shares that add up to 1, got 0.9' },
      { path: ['events', 0, 'use'], message: 'expected the name of a server certificate in pki.serverCertificates, got "other"' },
    ]);
  });

  it('accepts shares that add up to 1 within floating-point error ("1/3" three times)', () => {
    const scenario = schemaOnly(
      ['      share: 0.6', '      share: 1/3'],
      ['      share: 0.4\n      trustStore: { anchors: [root] }\n', '      share: 1/3\n      trustStore: { anchors: [root] }\n    - name: c\n      share: 1/3\n      trustStore: { anchors: [root] }\n'],
    );
    expect(checkReferences(scenario)).toEqual([]);
  });

  it('reports an authority whose issuer chain runs into a cycle, as well as the authorities on the cycle', () => {
    const scenario = schemaOnly(
      ['      subject: { CN: Test Root }\n', '      subject: { CN: Test Root }\n      issuer: ca\n'],
      [
        '      notAfter: 2035-01-01T00:00:00Z\n',
        '      notAfter: 2035-01-01T00:00:00Z\n    - name: leafward\n      subject: { CN: Leafward }\n      issuer: ca\n      notBefore: 2020-01-01T00:00:00Z\n      notAfter: 2030-06-01T00:00:00Z\n',
      ],
    );
    const cycle = checkReferences(scenario).filter((p) => p.message.includes('found a cycle'));
    expect(cycle.map((p) => p.path)).toEqual([
      ['pki', 'authorities', 0, 'issuer'],
      ['pki', 'authorities', 1, 'issuer'],
      ['pki', 'authorities', 2, 'issuer'],
    ]);
  });

  it('a self-issued authority naming itself as issuer is a cycle', () => {
    const scenario = schemaOnly(['    - name: ca\n      subject: { CN: Test CA }\n      issuer: root\n', '    - name: ca\n      subject: { CN: Test CA }\n      issuer: ca\n']);
    expect(checkReferences(scenario)).toEqual([
      { path: ['pki', 'authorities', 1, 'issuer'], message: 'expected issuers and cross-signs that end at a self-signed root, found a cycle: ca -> ca' },
    ]);
  });

  it('a cross-sign whose target is issued by the cross-sign is a cycle, reported on both with the loop', () => {
    // "ca" cross-signs "side" (issued by root), and "side" names "ca" as its issuer: neither can be built first.
    const scenario = schemaOnly(
      ['    - name: ca\n      subject: { CN: Test CA }\n      issuer: root\n', '    - name: ca\n      crossSigns: side\n      issuer: root\n'],
      [
        '      notAfter: 2035-01-01T00:00:00Z\n',
        '      notAfter: 2035-01-01T00:00:00Z\n    - name: side\n      subject: { CN: Side }\n      issuer: ca\n      notBefore: 2020-01-01T00:00:00Z\n      notAfter: 2030-06-01T00:00:00Z\n',
      ],
      ['    - name: broker\n      issuer: ca\n', '    - name: broker\n      issuer: root\n'],
      ['    issuer: ca\n    lifetime: 90d', '    issuer: root\n    lifetime: 90d'],
    );
    const problems = checkReferences(scenario);
    expect(problems.filter((p) => p.message.includes('found a cycle'))).toEqual([
      { path: ['pki', 'authorities', 1, 'crossSigns'], message: 'expected issuers and cross-signs that end at a self-signed root, found a cycle: ca -> side -> ca' },
      { path: ['pki', 'authorities', 2, 'issuer'], message: 'expected issuers and cross-signs that end at a self-signed root, found a cycle: side -> ca -> side' },
    ]);
    // "side" names the cross-sign "ca" as its issuer: a cross-certificate has no key of its own to sign with.
    expect(problems).toContainEqual({
      path: ['pki', 'authorities', 2, 'issuer'],
      message: 'expected an authority with its own key, got the cross-sign "ca" (name the authority it cross-signs)',
    });
  });

  it('a server or device certificate issued by a cross-sign is refused, naming the authority to use instead', () => {
    const scenario = schemaOnly(['    - name: ca\n      subject: { CN: Test CA }\n', '    - name: ca\n      crossSigns: root\n']);
    expect(checkReferences(scenario)).toEqual([
      { path: ['pki', 'serverCertificates', 0, 'issuer'], message: 'expected an authority with its own key, got the cross-sign "ca" (name the authority it cross-signs)' },
      { path: ['pki', 'deviceCertificates', 'issuer'], message: 'expected an authority with its own key, got the cross-sign "ca" (name the authority it cross-signs)' },
    ]);
  });

  it('asks for a bootstrap identity for a cohort whose protocol needs one, at its rotation', () => {
    const scenario = schemaOnly(['      share: 0.4\n', '      share: 0.4\n      rotation: { protocol: attestation }\n']);
    expect(checkReferences(scenario)).toEqual([
      {
        path: ['fleet', 'cohorts', 1, 'rotation'],
        message: 'expected pki.bootstrapCertificates and broker.bootstrapAuthorities: this cohort renews or recovers with a bootstrap identity',
      },
    ]);
  });
});
