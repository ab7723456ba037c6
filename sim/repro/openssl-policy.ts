import type { ConnectTrace } from '../events/fleet-event.js';

/** The openssl command that models a device's policy, and what it says about how well it models it. */
export interface OpensslPolicyCheck {
  /** A line of verify.sh, run in the export folder. */
  command: string;
  /** Files the command needs beyond the ones every export holds: name -> PEMs. */
  files: Record<string, readonly string[]>;
  /** Why these options, in one line (a comment in verify.sh and the `repro --check` output). */
  note: string;
}

/**
 * `openssl verify` with the options that model the device's policy where OpenSSL 3's defaults (trusted-first path
 * building, every certificate's dates checked, the anchor's included) do not:
 * - anchor expiry ignored: `-partial_chain` with the certificate the anchor signed as the only trusted one, so
 *   openssl checks every date on the path but the anchor's (RFC 5280 6.1 takes no validity from the trust anchor);
 * - untrusted-first path building (OpenSSL 1.0.2): OpenSSL 3 always builds trusted-first (`-no_alt_chains` has no
 *   effect since 1.1.0), so the path the device built is checked as built, against the anchor it chose.
 */
export function opensslPolicyCheck(trace: ConnectTrace, common: string, checks: { asPresented: string; asBuilt: string }): OpensslPolicyCheck {
  const { path } = trace;
  const { asPresented, asBuilt } = checks;
  if (path.length < 2) {
    return { command: asPresented, files: {}, note: 'the device built no path to an anchor: the chain as presented, against every anchor it held' };
  }
  if (trace.anchorExpiry === 'ignore') {
    if (path.length < 3) {
      return { command: asBuilt, files: {}, note: 'the anchor signed the leaf itself, so -partial_chain cannot leave out only its dates: openssl enforces the anchor expiry this device ignores' };
    }
    const belowAnchor = path.slice(-2, -1);
    const between = path.slice(1, -2);
    return {
      command: `openssl verify ${common} -partial_chain -CAfile path-below-anchor.pem${between.length > 0 ? ' -untrusted path-between.pem' : ''} leaf.pem`,
      files: { 'path-below-anchor.pem': belowAnchor, ...(between.length > 0 ? { 'path-between.pem': between } : {}) },
      note: 'the device ignores its anchor\'s expiry: -partial_chain trusts the certificate the anchor signed, so every date but the anchor\'s is checked',
    };
  }
  if (trace.pathBuilding === 'untrusted-first') {
    return { command: asBuilt, files: {}, note: 'untrusted-first path building, which OpenSSL 3 cannot do: the path the device built, checked as built against the anchor it chose' };
  }
  return { command: asPresented, files: {}, note: 'OpenSSL\'s defaults are this device\'s policy (trusted-first, anchor expiry enforced)' };
}
