import type { ParsedCertificate } from '../../sim/verify/types.js';
import type { AuditCheck, AuditFinding } from '../../sim/audit/audit-checks.js';
import type { DeviceRegistry } from '../device-registry.js';

/** Evaluates the audit checks (sim/audit/audit-checks.ts) on the backend's registry at a true time. */
export interface AuditSettings {
  /** DEVICE_CERTIFICATE_EXPIRING_CHECK: 30 days by default, 30 to 3652 allowed; already expired counts too. */
  deviceCertificateExpiringDays: number;
  caCertificateExpiringDays: number;
  /** Device Defender's on-demand audits look back 31 days for shared certificates and conflicting client ids. */
  lookbackDays: number;
}

export interface AuditInput {
  t: number;
  registry: DeviceRegistry;
  /** CA certificates the backend has registered (the authorities it accepts and issues from). */
  authorities: readonly ParsedCertificate[];
  isRevoked: (issuerName: string, serialHex: string, at: number) => boolean;
  /** CONNECTs that found another live session with the same certificate / the same client id. */
  concurrentUse: { sharedCertificates: ReadonlySet<string>; conflictingClientIds: ReadonlySet<string> };
  settings: AuditSettings;
}

const DAY = 86_400_000;

export function auditFleet(input: AuditInput): AuditFinding[] {
  const { t, registry, settings } = input;
  const current = registry.currentCertificates().filter((c) => c.status === 'active');
  const findings: AuditFinding[] = [];
  const add = (check: AuditCheck, resources: Iterable<string>) => {
    const list = [...new Set(resources)].sort();
    if (list.length > 0) findings.push({ check, resources: list });
  };
  add(
    'DEVICE_CERT_EXPIRING',
    current.filter((c) => c.notAfter - t <= settings.deviceCertificateExpiringDays * DAY).map((c) => c.deviceId),
  );
  add(
    'CA_CERT_EXPIRING',
    input.authorities.filter((a) => a.notAfter - t <= settings.caCertificateExpiringDays * DAY).map((a) => a.label),
  );
  add(
    'REVOKED_DEVICE_CERT_STILL_ACTIVE',
    current.filter((c) => input.isRevoked(c.issuer, c.serialHex, t)).map((c) => c.deviceId),
  );
  const revokedIssuers = new Set(
    input.authorities.filter((a) => !a.selfIssued && input.isRevoked(a.issuer, a.serialHex, t)).map((a) => a.subject),
  );
  add(
    'INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTS',
    current.filter((c) => revokedIssuers.has(c.issuer)).map((c) => c.deviceId),
  );
  const recent = registry.connectionsSince(t - settings.lookbackDays * DAY);
  const recentKeys = new Set(recent.map((c) => c.certificateKey));
  const recentIds = new Set(recent.map((c) => c.clientId));
  add(
    'DEVICE_CERT_SHARED',
    [...input.concurrentUse.sharedCertificates].filter((k) => recentKeys.has(k)).flatMap((k) => registry.certificate(k)?.deviceId ?? []),
  );
  add('CONFLICTING_CLIENT_IDS', [...input.concurrentUse.conflictingClientIds].filter((id) => recentIds.has(id)));
  add(
    'DEVICE_CERT_KEY_QUALITY',
    current.filter((c) => /^rsa-(\d+)$/.test(c.keyDescription) && Number(c.keyDescription.slice(4)) < 2048).map((c) => c.deviceId),
  );
  return findings;
}

