import type { ScenarioProblem } from './check-references.js';
import type { Scenario } from './schema.js';

/** RFC 5280 4.1.2.5: a certificate's times are written with four-digit years (UTCTime or GeneralizedTime). */
const EARLIEST = Date.parse('0000-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59Z');

/**
 * Checks that every device and bootstrap certificate the run can issue has a validity X.509 can write: issued from
 * before the timeline (the factory's first certificates) up to its end (renewals), valid for `lifetime` after it.
 */
export function checkCertificateTimes(scenario: Scenario): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const { start, end } = scenario.timeline;
  const device = scenario.pki.deviceCertificates;
  const path = ['pki', 'deviceCertificates'];
  if (device.backdate < 0 && -device.backdate >= device.lifetime) {
    problems.push({ path: [...path, 'backdate'], message: 'expected a backdate that keeps notBefore before notAfter (a negative backdate shorter than the lifetime)' });
  }
  // The factory's first certificates: spread over one lifetime before the start, or inside the `issued` window.
  const firstFrom = device.issued === 'spread' ? start - device.lifetime : device.issued.from;
  const lastIssue = Math.max(end, device.issued === 'spread' ? end : device.issued.to);
  if (firstFrom - Math.max(0, device.backdate) < EARLIEST) {
    problems.push({ path: [...path, device.issued === 'spread' ? 'lifetime' : 'issued'], message: 'expected first certificates issued after the year 0000 (RFC 5280 4.1.2.5 writes four-digit years)' });
  }
  if (lastIssue + device.lifetime > LATEST) {
    problems.push({
      path: [...path, 'lifetime'],
      message: 'expected certificates issued up to timeline.end to expire by 9999-12-31T23:59:59Z (RFC 5280 4.1.2.5 writes four-digit years)',
    });
  }
  const bootstrap = scenario.pki.bootstrapCertificates;
  if (bootstrap && Math.min(start, firstFrom) + bootstrap.lifetime > LATEST) {
    problems.push({ path: ['pki', 'bootstrapCertificates', 'lifetime'], message: 'expected bootstrap certificates to expire by 9999-12-31T23:59:59Z (RFC 5280 4.1.2.5 writes four-digit years)' });
  }
  return problems;
}
