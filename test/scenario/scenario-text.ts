/**
 * A minimal valid scenario (the shape of scenarios/root-expiry-2030.yaml, but tiny) and a helper that edits it.
 * Line numbers matter: the expected error messages in the tests point at them.
 */
export const BASE = `name: tiny
description: A tiny scenario for tests.
timeline:
  start: 2030-01-01T00:00:00Z
  end: 2030-03-01T00:00:00Z
pki:
  authorities:
    - name: root
      subject: { CN: Test Root }
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2040-01-01T00:00:00Z
    - name: ca
      subject: { CN: Test CA }
      issuer: root
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2035-01-01T00:00:00Z
  serverCertificates:
    - name: broker
      issuer: ca
      notBefore: 2029-01-01T00:00:00Z
      notAfter: 2031-01-01T00:00:00Z
      chain: [ca]
  deviceCertificates:
    issuer: ca
    lifetime: 90d
broker:
  serverCertificate: broker
  deviceAuthorities: [root]
fleet:
  devices: 10
  cohorts:
    - name: a
      share: 0.6
      trustStore: { anchors: [root] }
      clock: { driftPpm: { min: -20, max: 20 } }
    - name: b
      share: 0.4
      trustStore: { anchors: [root] }
events:
  - type: server-certificate
    at: 2030-02-01T00:00:00Z
    use: broker
`;

/** A text replacement: `from` must occur exactly once in the text it edits. */
export type Edit = readonly [from: string, to: string];

/** BASE with each edit applied in turn; throws when an edit does not match exactly once (a broken test, not a result). */
export function edited(...edits: readonly Edit[]): string {
  let text = BASE;
  for (const [from, to] of edits) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`test edit ${JSON.stringify(from)} matches ${count} times`);
    text = text.replace(from, () => to);
  }
  return text;
}
