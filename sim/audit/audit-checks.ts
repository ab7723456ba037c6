/**
 * Device Defender-style audit checks, evaluated on the backend's registry at a true time. Names and severities
 * follow AWS IoT Device Defender (DEVICE_CERTIFICATE_EXPIRING_CHECK and friends, research/domain.md section 9).
 */
export const AUDIT_CHECKS = {
  DEVICE_CERT_EXPIRING: { severity: 'Medium', mirrors: 'DEVICE_CERTIFICATE_EXPIRING_CHECK' },
  CA_CERT_EXPIRING: { severity: 'Medium', mirrors: 'CA_CERTIFICATE_EXPIRING_CHECK' },
  REVOKED_DEVICE_CERT_STILL_ACTIVE: { severity: 'Medium', mirrors: 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK' },
  INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTS: {
    severity: 'Critical',
    mirrors: 'INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK',
  },
  DEVICE_CERT_SHARED: { severity: 'Critical', mirrors: 'DEVICE_CERTIFICATE_SHARED_CHECK' },
  CONFLICTING_CLIENT_IDS: { severity: 'High', mirrors: 'CONFLICTING_CLIENT_IDS_CHECK' },
  DEVICE_CERT_KEY_QUALITY: { severity: 'Critical', mirrors: 'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK' },
} as const;

export type AuditCheck = keyof typeof AUDIT_CHECKS;

export interface AuditFinding {
  check: AuditCheck;
  /** Non-compliant resources: device ids, or CA labels for CA checks. */
  resources: string[];
}
