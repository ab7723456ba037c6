import { ROTATION_PROTOCOLS } from '../device-api/rotation-protocols.js';
import { defineThreshold, toThresholdSpec } from '../thresholds/define-threshold.js';
import { checkFaults } from './check-faults.js';
import type { Scenario } from './schema.js';

/** A problem found in a scenario: where (a path into the document) and what was expected. */
export interface ScenarioProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Checks what a schema cannot: that names refer to things that exist, that shares add up, that time windows are
 * ordered, that threshold checks name known metrics and causes. Returns every problem found, never only the first.
 */
export function checkReferences(scenario: Scenario): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const problem = (path: (string | number)[], message: string) => problems.push({ path, message });

  const authorities = new Map(scenario.pki.authorities.map((a) => [a.name, a]));
  const servers = new Map(scenario.pki.serverCertificates.map((s) => [s.name, s]));
  const cohorts = new Set(scenario.fleet.cohorts.map((c) => c.name));
  const { start, end } = scenario.timeline;

  const expectAuthority = (path: (string | number)[], ref: string) => {
    if (!authorities.has(ref)) problem(path, `expected the name of an authority in pki.authorities, got "${ref}"`);
  };
  const expectCohort = (path: (string | number)[], ref: string) => {
    if (!cohorts.has(ref)) problem(path, `expected the name of a cohort in fleet.cohorts, got "${ref}"`);
  };
  const expectOrdered = (path: (string | number)[], notBefore: number, notAfter: number) => {
    if (notAfter <= notBefore) problem([...path, 'notAfter'], 'expected notAfter to be later than notBefore');
  };

  findDuplicates(scenario.pki.authorities.map((a) => a.name)).forEach((i) =>
    problem(['pki', 'authorities', i, 'name'], 'expected a name not used by another authority'),
  );
  scenario.pki.serverCertificates.forEach((s, i) => {
    if (authorities.has(s.name)) {
      problem(['pki', 'serverCertificates', i, 'name'], 'expected a name not used by an authority');
    }
  });
  findDuplicates(scenario.pki.serverCertificates.map((s) => s.name)).forEach((i) =>
    problem(['pki', 'serverCertificates', i, 'name'], 'expected a name not used by another server certificate'),
  );

  scenario.pki.authorities.forEach((a, i) => {
    const path = ['pki', 'authorities', i];
    // An imported authority's validity and subject come from its certificate file (sim/scenario/authority-files.ts).
    if (a.mirrors === undefined && a.files === undefined) {
      if (a.notBefore === undefined) problem([...path, 'notBefore'], 'required: expected a UTC time such as "2030-01-01T00:00:00Z"');
      if (a.notAfter === undefined) problem([...path, 'notAfter'], 'required: expected a UTC time such as "2030-01-01T00:00:00Z"');
    }
    if (a.notBefore !== undefined && a.notAfter !== undefined) expectOrdered(path, a.notBefore, a.notAfter);
    if (a.issuer !== undefined) expectAuthority([...path, 'issuer'], a.issuer);
    if (a.crossSigns !== undefined) {
      expectAuthority([...path, 'crossSigns'], a.crossSigns);
      if (a.issuer === undefined) problem([...path, 'issuer'], 'expected the authority that signs the cross-certificate');
      if (a.subject !== undefined) {
        problem([...path, 'subject'], 'expected no subject: a cross-sign copies the subject of the authority it signs');
      }
      if (a.crossSigns === a.name) problem([...path, 'crossSigns'], 'expected another authority than this one');
    }
    if (a.mirrors !== undefined) {
      // A stand-in copies the real certificate's subject bytes and validity (sim/scenario/check-bundles.ts finds it).
      const copied = 'a stand-in copies the subject and validity of the certificate it mirrors';
      if (a.subject !== undefined) problem([...path, 'subject'], `expected no subject: ${copied}`);
      if (a.notBefore !== undefined) problem([...path, 'notBefore'], `expected no notBefore: ${copied}`);
      if (a.notAfter !== undefined) problem([...path, 'notAfter'], `expected no notAfter: ${copied}`);
      if (a.crossSigns !== undefined) problem([...path, 'crossSigns'], 'expected no crossSigns: a stand-in has its own key');
    } else if (a.crossSigns === undefined && a.subject === undefined && a.files === undefined) {
      problem([...path, 'subject'], 'expected a subject such as { CN: "Fleet Root CA" }');
    }
  });
  findAuthorityCycles(scenario).forEach(({ index, field, names }) =>
    problem(['pki', 'authorities', index, field], `expected issuers and cross-signs that end at a self-signed root, found a cycle: ${names.join(' -> ')}`),
  );
  // A cross-certificate has no key of its own (it carries its target's): it cannot sign, nor be cross-signed again.
  const crossSign = (ref: string) => authorities.get(ref)?.crossSigns !== undefined;
  const expectSigner = (path: (string | number)[], ref: string) => {
    if (crossSign(ref)) problem(path, `expected an authority with its own key, got the cross-sign "${ref}" (name the authority it cross-signs)`);
  };
  scenario.pki.authorities.forEach((a, i) => {
    if (a.issuer !== undefined) expectSigner(['pki', 'authorities', i, 'issuer'], a.issuer);
    if (a.crossSigns !== undefined && a.crossSigns !== a.name) expectSigner(['pki', 'authorities', i, 'crossSigns'], a.crossSigns);
  });
  scenario.pki.serverCertificates.forEach((s, i) => expectSigner(['pki', 'serverCertificates', i, 'issuer'], s.issuer));
  expectSigner(['pki', 'deviceCertificates', 'issuer'], scenario.pki.deviceCertificates.issuer);
  if (scenario.pki.bootstrapCertificates) expectSigner(['pki', 'bootstrapCertificates', 'issuer'], scenario.pki.bootstrapCertificates.issuer);

  scenario.pki.serverCertificates.forEach((s, i) => {
    const path = ['pki', 'serverCertificates', i];
    expectOrdered(path, s.notBefore, s.notAfter);
    expectAuthority([...path, 'issuer'], s.issuer);
    s.chain.forEach((ref, j) => expectAuthority([...path, 'chain', j], ref));
  });
  const devicePki = scenario.pki.deviceCertificates;
  expectAuthority(['pki', 'deviceCertificates', 'issuer'], devicePki.issuer);
  devicePki.chain.forEach((ref, j) => expectAuthority(['pki', 'deviceCertificates', 'chain', j], ref));
  if (typeof devicePki.issued === 'object' && devicePki.issued.to < devicePki.issued.from) {
    problem(['pki', 'deviceCertificates', 'issued', 'to'], 'expected "to" to be later than or equal to "from"');
  }

  const bootstrap = scenario.pki.bootstrapCertificates;
  if (bootstrap) {
    expectAuthority(['pki', 'bootstrapCertificates', 'issuer'], bootstrap.issuer);
    bootstrap.chain.forEach((ref, j) => expectAuthority(['pki', 'bootstrapCertificates', 'chain', j], ref));
  }
  scenario.broker.bootstrapAuthorities.forEach((ref, j) => expectAuthority(['broker', 'bootstrapAuthorities', j], ref));
  scenario.fleet.cohorts.forEach((c, i) => {
    const needsBootstrap = c.recovery === 'bootstrap' || ROTATION_PROTOCOLS[c.rotation.protocol].needsBootstrapIdentity;
    if (needsBootstrap && (!bootstrap || scenario.broker.bootstrapAuthorities.length === 0)) {
      problem(
        ['fleet', 'cohorts', i, c.recovery === 'bootstrap' ? 'recovery' : 'rotation'],
        'expected pki.bootstrapCertificates and broker.bootstrapAuthorities: this cohort renews or recovers with a bootstrap identity',
      );
    }
  });
  if (!servers.has(scenario.broker.serverCertificate)) {
    problem(
      ['broker', 'serverCertificate'],
      `expected the name of a server certificate in pki.serverCertificates, got "${scenario.broker.serverCertificate}"`,
    );
  }
  scenario.broker.deviceAuthorities.forEach((ref, j) => expectAuthority(['broker', 'deviceAuthorities', j], ref));
  // Host names compare case-insensitively (RFC 6066 3: SNI is a DNS host name).
  const endpointHosts = new Set([scenario.broker.host.toLowerCase()]);
  scenario.broker.endpoints.forEach((endpoint, j) => {
    const path = ['broker', 'endpoints', j];
    if (endpointHosts.has(endpoint.host.toLowerCase())) {
      problem([...path, 'host'], `expected a host name not used by broker.host or another endpoint, got "${endpoint.host}"`);
    }
    endpointHosts.add(endpoint.host.toLowerCase());
    if (!servers.has(endpoint.serverCertificate)) {
      problem([...path, 'serverCertificate'], `expected the name of a server certificate in pki.serverCertificates, got "${endpoint.serverCertificate}"`);
    }
  });

  if (end <= start) problem(['timeline', 'end'], 'expected the end to be later than the start');

  findDuplicates(scenario.fleet.cohorts.map((c) => c.name)).forEach((i) =>
    problem(['fleet', 'cohorts', i, 'name'], 'expected a name not used by another cohort'),
  );
  const shareSum = scenario.fleet.cohorts.reduce((sum, c) => sum + c.share, 0);
  if (Math.abs(shareSum - 1) > 1e-6) {
    problem(['fleet', 'cohorts'], `expected cohort shares that add up to 1, got ${Number(shareSum.toFixed(6))}`);
  }
  scenario.fleet.cohorts.forEach((c, i) => {
    const path = ['fleet', 'cohorts', i];
    c.trustStore.anchors.forEach((ref, j) => expectAuthority([...path, 'trustStore', 'anchors', j], ref));
    if (c.trustStore.anchors.length === 0 && c.trustStore.bundle === undefined) {
      problem([...path, 'trustStore', 'anchors'], 'expected at least one anchor, or a bundle');
    }
    c.trustStore.pins.forEach((ref, j) => {
      if (!authorities.has(ref) && !servers.has(ref)) {
        problem([...path, 'trustStore', 'pins', j], `expected the name of an authority or server certificate, got "${ref}"`);
      }
    });
    if (c.renewal.at - c.renewal.jitter <= 0 || c.renewal.at + c.renewal.jitter > 1) {
      problem([...path, 'renewal', 'jitter'], 'expected renewal.at plus or minus jitter to stay within (0, 1]');
    }
    if (c.renewal.retry.max < c.renewal.retry.initial) {
      problem([...path, 'renewal', 'retry', 'max'], 'expected max to be at least initial');
    }
    c.connectivity.outages.forEach((o, j) => {
      if (o.duration >= o.every) {
        problem([...path, 'connectivity', 'outages', j, 'duration'], 'expected an outage shorter than its period ("every")');
      }
    });
  });

  scenario.events.forEach((e, i) => {
    const path = ['events', i];
    if (e.at < start || e.at > end) problem([...path, 'at'], 'expected a time within the timeline (start to end)');
    switch (e.type) {
      case 'trust-rollout':
        e.add.forEach((ref, j) => expectAuthority([...path, 'add', j], ref));
        e.remove.forEach((ref, j) => expectAuthority([...path, 'remove', j], ref));
        e.cohorts?.forEach((ref, j) => expectCohort([...path, 'cohorts', j], ref));
        if (e.add.length + e.remove.length === 0) problem([...path, 'add'], 'expected at least one authority to add or remove');
        break;
      case 'server-certificate':
        if (!servers.has(e.use)) {
          problem([...path, 'use'], `expected the name of a server certificate in pki.serverCertificates, got "${e.use}"`);
        }
        break;
      case 'revoke':
        if ((e.authority === undefined) === (e.devices === undefined)) {
          problem(path, 'expected exactly one of "authority" or "devices"');
        }
        if (e.authority !== undefined) {
          expectAuthority([...path, 'authority'], e.authority);
          if (authorities.get(e.authority)?.files !== undefined) {
            problem([...path, 'authority'], 'expected an authority issued in the scenario: an imported authority\'s issuer is not part of it');
          } else if (authorities.get(e.authority) && authorities.get(e.authority)?.issuer === undefined) {
            problem([...path, 'authority'], 'expected an authority with an issuer: a self-signed root cannot be revoked');
          }
        }
        e.devices?.cohorts?.forEach((ref, j) => expectCohort([...path, 'devices', 'cohorts', j], ref));
        break;
      case 'broker-restart':
        break;
      case 'push-certificates':
        e.cohorts?.forEach((ref, j) => expectCohort([...path, 'cohorts', j], ref));
        break;
      case 'broker-device-authorities':
        e.add.forEach((ref, j) => expectAuthority([...path, 'add', j], ref));
        e.remove.forEach((ref, j) => expectAuthority([...path, 'remove', j], ref));
        break;
    }
  });

  checkFaults(scenario, problem);

  scenario.thresholds.forEach((entry, i) => {
    const defined = defineThreshold(toThresholdSpec(entry), [...cohorts]);
    if ('threshold' in defined) return;
    // A plain string is the check itself; in { check, cohort, name } the problem points at the field.
    for (const p of defined.problems) problem(typeof entry === 'string' ? ['thresholds', i] : ['thresholds', i, p.field], p.message);
  });
  return problems;
}

function findDuplicates(names: string[]): number[] {
  const seen = new Set<string>();
  const duplicates: number[] = [];
  names.forEach((n, i) => {
    if (seen.has(n)) duplicates.push(i);
    seen.add(n);
  });
  return duplicates;
}

/**
 * Authorities whose issuer or cross-sign references run into a loop (building one needs the other first), each with
 * the field that leads there and the names up to the first one repeated.
 */
function findAuthorityCycles(scenario: Scenario): { index: number; field: 'issuer' | 'crossSigns'; names: string[] }[] {
  const byName = new Map(scenario.pki.authorities.map((a) => [a.name, a]));
  const cyclic: { index: number; field: 'issuer' | 'crossSigns'; names: string[] }[] = [];
  scenario.pki.authorities.forEach((a, index) => {
    for (const field of ['issuer', 'crossSigns'] as const) {
      const first = a[field];
      if (first === undefined || (field === 'crossSigns' && first === a.name)) continue; // reported above
      const names = loopFrom(byName, a.name, first);
      if (names) {
        cyclic.push({ index, field, names });
        return;
      }
    }
  });
  return cyclic;
}

/** Depth first from `first` (reached from `start`) along issuer and crossSigns: the path up to a repeated name, if any. */
function loopFrom(byName: ReadonlyMap<string, Scenario['pki']['authorities'][number]>, start: string, first: string): string[] | undefined {
  const next = (name: string): string[] => {
    const a = byName.get(name);
    return [a?.issuer, a?.crossSigns === name ? undefined : a?.crossSigns].filter((n): n is string => n !== undefined && byName.has(n));
  };
  const path = [start];
  const onPath = new Set(path);
  const done = new Set<string>();
  // Iterative, so that a long chain cannot overflow the stack.
  const stack: { name: string; edges: string[] }[] = [];
  const enter = (name: string): string[] | undefined => {
    if (onPath.has(name)) return [...path, name];
    if (done.has(name) || !byName.has(name)) return undefined;
    path.push(name);
    onPath.add(name);
    stack.push({ name, edges: next(name) });
    return undefined;
  };
  const found = enter(first);
  if (found) return found;
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { name: string; edges: string[] };
    const edge = top.edges.shift();
    if (edge === undefined) {
      stack.pop();
      path.pop();
      onPath.delete(top.name);
      done.add(top.name);
      continue;
    }
    const loop = enter(edge);
    if (loop) return loop;
  }
  return undefined;
}
