/** Chain verification at a simulated clock: parse once, build a path by policy, judge, attribute the cause. */
export { CertificatePool, nameKey, KEY_USAGE } from './certificate-pool.js';
export type { CertificatePoolOptions } from './certificate-pool.js';
export {
  MAX_PATH_LENGTH,
  buildPath,
  anchoredPaths,
  allValidPaths,
  existsValidPath,
  isTimeValid,
} from './path-builder.js';
export type { BuiltPath, PathContext } from './path-builder.js';
export { verifyChainAt, checkPath, isTimeCause, namesHost, pinMatches, PURPOSE_OID } from './verify-chain.js';
export type { PathFailure } from './verify-chain.js';
export type {
  AnchorExpiry,
  IssueCheck,
  IssuerChecks,
  ParsedCertificate,
  PathBuilding,
  PathRole,
  Purpose,
  Verdict,
  VerifyInput,
  VerifyPolicy,
} from './types.js';
