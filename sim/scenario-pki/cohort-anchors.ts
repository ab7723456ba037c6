import type { Scenario } from '../scenario/schema.js';
import type { ParsedCertificate } from '../verify/types.js';
import type { ScenarioPki } from './build-scenario-pki.js';
import { bundleAnchors } from './bundle-anchors.js';

/**
 * The anchors a cohort's devices trust for the broker's server chain: the cohort's PEM bundle (each real root a
 * stand-in mirrors replaced by the stand-in), then the scenario authorities it names, in that order. The device
 * workers build their trust stores with it, and the credential export writes the same anchors to anchors.pem.
 */
export function cohortTrustAnchors(
  scenario: Scenario,
  pki: ScenarioPki,
  cohortIndex: number,
  certificate: (name: string) => ParsedCertificate,
): ParsedCertificate[] {
  const cohort = scenario.fleet.cohorts[cohortIndex];
  if (cohort === undefined) throw new RangeError(`the scenario has no cohort ${cohortIndex}`);
  const { trustStore } = cohort;
  return [
    ...(trustStore.bundle === undefined ? [] : bundleAnchors(pki, trustStore.bundle, certificate)),
    ...trustStore.anchors.map(certificate),
  ];
}
