import { readCertificate } from '../pki/certificate-reader.js';
import { pemToDer } from '../pki/pem.js';
import type { Scenario, ScenarioEvent } from '../scenario/schema.js';
import type { ScenarioPki } from '../scenario-pki/build-scenario-pki.js';
import { planFaults } from '../plan/fault-plan.js';

/** A moment a report marks on the simulated timeline. */
export interface TimelineMarker {
  t: number;
  kind: 'expiry' | 'event' | 'fault';
  /** certificate-expiry markers: which certificate and what it is. */
  certificate?: { name: string; role: 'root' | 'intermediate' | 'cross-sign' | 'server' } | undefined;
  label: string;
}

/**
 * Every CA and server certificate that expires within the timeline (RFC 5280 4.1.2.5 notAfter, read from the issued
 * certificate, so stand-ins for real roots carry the real date) and every scenario event, in time order.
 */
export function timelineMarkers(scenario: Scenario, pki: ScenarioPki): TimelineMarker[] {
  const { start, end } = scenario.timeline;
  const markers: TimelineMarker[] = [];
  const roles = new Map<string, NonNullable<TimelineMarker['certificate']>['role']>();
  for (const a of scenario.pki.authorities) roles.set(a.name, a.crossSigns ? 'cross-sign' : a.issuer ? 'intermediate' : 'root');
  for (const s of scenario.pki.serverCertificates) roles.set(s.name, 'server');
  for (const [name, role] of roles) {
    const pem = pki.certificates[name];
    const der = pem ? pemToDer(pem)[0] : undefined;
    if (!der) continue;
    const { notAfter } = readCertificate(der);
    if (notAfter < start || notAfter > end) continue;
    markers.push({ t: notAfter, kind: 'expiry', certificate: { name, role }, label: `${role} ${name} expires` });
  }
  for (const event of scenario.events) markers.push({ t: event.at, kind: 'event', label: describeEvent(event) });
  // Each injected fault: where it starts and, for a window, where it ends.
  for (const f of planFaults(scenario)) {
    if (f.kind === 'process-kill') {
      markers.push({ t: f.from, kind: 'fault', label: `fault: ${f.label}` });
      continue;
    }
    markers.push({ t: f.from, kind: 'fault', label: `fault starts: ${f.label}` }, { t: f.to, kind: 'fault', label: `fault ends: ${f.label}` });
  }
  // At one instant, roots first: the widest-reaching expiry explains the others.
  return markers.sort((a, b) => a.t - b.t || rank(a) - rank(b) || a.label.localeCompare(b.label));
}

const ROLE_RANK = { root: 0, 'cross-sign': 1, intermediate: 2, server: 3 } as const;

function rank(marker: TimelineMarker): number {
  return marker.certificate ? ROLE_RANK[marker.certificate.role] : marker.kind === 'fault' ? 5 : 4;
}

function describeEvent(event: ScenarioEvent): string {
  switch (event.type) {
    case 'trust-rollout':
      return `trust rollout${listed(' adds', event.add)}${listed(' removes', event.remove)} (${Math.round(event.share * 100)}%)`;
    case 'server-certificate':
      return `broker switches to ${event.use}`;
    case 'revoke':
      return event.authority ? `${event.authority} revoked` : `${Math.round((event.devices?.share ?? 0) * 100)}% of device certificates revoked`;
    case 'push-certificates':
      return `certificates pushed to ${Math.round(event.share * 100)}%`;
    case 'broker-restart':
      return 'broker restart';
    case 'broker-device-authorities':
      return `broker device CAs${listed(' +', event.add)}${listed(' -', event.remove)}`;
  }
}

function listed(prefix: string, names: readonly string[]): string {
  return names.length === 0 ? '' : `${prefix} ${names.join(', ')}`;
}
