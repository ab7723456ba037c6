import { z } from 'zod';

/** A file path relative to the scenario file. */
const file = (what: string) => z.string().min(1).describe(`${what} (a path relative to the scenario file)`);

/**
 * An authority loaded from files instead of generated: a team's own CA, so that a broker configured ahead of a run
 * (broker.target external) trusts the device certificates the run issues, or devices trust the broker's server CA.
 */
export const authorityFiles = z
  .strictObject({
    certificateFile: file('the authority\'s certificate: one PEM certificate with basicConstraints cA TRUE'),
    keyFile: file(
      'the authority\'s private key (PEM, unencrypted), matching the certificate. Omitted: the authority is only a trust anchor and issues nothing',
    ).optional(),
  })
  .describe(
    'Load this authority from files instead of generating it: its subject, validity, key and path length come from the ' +
      'certificate, so subject, notBefore, notAfter, issuer, crossSigns, mirrors, pathLength and key are not given beside it.',
  );

/** What the loader read from an imported authority's files: PEM text that crosses thread boundaries unchanged. */
export interface ImportedAuthority {
  /** The certificate, re-encoded as one PEM block. */
  certificatePem: string;
  /** The private key as PKCS#8 PEM; absent for an authority that is only a trust anchor. */
  keyPem?: string | undefined;
}
