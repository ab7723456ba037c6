import { loadPemBundle, replaceInBundle } from '../trust/pem-bundle.js';
import type { ParsedCertificate } from '../verify/types.js';
import type { ScenarioPki } from './build-scenario-pki.js';

/**
 * The anchors of a trust store built from a PEM bundle: every certificate of the bundle, in file order, except
 * that each stand-in the scenario built for one of them takes its place. The store is then the real one, but the
 * roots the broker chains to are ours (nobody has the real roots' keys). The bundle is parsed once per thread.
 */
export function bundleAnchors(pki: ScenarioPki, bundle: string, certificate: (name: string) => ParsedCertificate): ParsedCertificate[] {
  const replacements = new Map<string, ParsedCertificate>();
  for (const [name, standIn] of Object.entries(pki.standIns)) {
    if (standIn.bundle === bundle) replacements.set(standIn.replaces, certificate(name));
  }
  return replaceInBundle(loadPemBundle(bundle), replacements);
}
