import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certificateBasicConstraints, certificateSubjectKeyId, generateKeyPair, readCertificate } from '../../sim/pki/index.js';
import { attime, DAY, hierarchy, openssl, scratch, T0, textKeyIds, type Scratch } from './helpers.js';

let tmp: Scratch;
beforeEach(() => {
  tmp = scratch();
});
afterEach(() => {
  tmp.cleanup();
});

function crossSetup() {
  const original = hierarchy('ec-p256', 'New');
  // Like DST Root CA X3, the old root has no pathLenConstraint: the path through the cross-sign has two CAs below it.
  const other = hierarchy('ec-p256', 'Old', null);
  const cross = other.root.crossSign(original.root, { notBefore: T0 - DAY, notAfter: T0 + 365 * DAY });
  const leaf = original.intermediate.issue({
    subject: { CN: 'device-cross' },
    publicKey: generateKeyPair().publicKey,
    profile: 'device',
    notBefore: T0,
    notAfter: T0 + 30 * DAY,
  });
  return { original, other, cross, leaf };
}

describe('cross-signing', () => {
  it('keeps the subject, SubjectPublicKeyInfo and SKI of the target and changes the issuer', () => {
    const { original, other, cross } = crossSetup();
    const target = readCertificate(original.root.certificateDer);
    const crossed = readCertificate(cross.der);
    expect(crossed.subjectDer.equals(target.subjectDer)).toBe(true);
    expect(crossed.spkiDer.equals(target.spkiDer)).toBe(true);
    expect(certificateSubjectKeyId(crossed)?.equals(original.root.subjectKeyId)).toBe(true);
    expect(crossed.issuerDer.equals(other.root.subjectDer)).toBe(true);
    expect(crossed.issuerDer.equals(target.issuerDer)).toBe(false);
    expect(certificateBasicConstraints(crossed)).toEqual({ ca: true, pathLength: 1 });

    const node = new X509Certificate(cross.der);
    const nodeTarget = new X509Certificate(original.root.certificateDer);
    expect(node.subject).toBe(nodeTarget.subject);
    expect(node.issuer).not.toBe(nodeTarget.issuer);
    expect(node.publicKey.equals(nodeTarget.publicKey)).toBe(true);
    expect(node.verify(new X509Certificate(other.root.certificateDer).publicKey)).toBe(true);

    const text = openssl(['x509', '-noout', '-text', '-in', tmp.write('cross.pem', cross.pem)]).stdout;
    const ids = textKeyIds(text);
    expect(ids.aki).toBe(textKeyIds(openssl(['x509', '-noout', '-text', '-in', tmp.write('other.pem', other.root.certificatePem)]).stdout).ski);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:1/);
  });

  it('lets openssl verify leaf <- intermediate <- cross <- other root with only the other root trusted', () => {
    const { original, other, cross, leaf } = crossSetup();
    const untrusted = tmp.write('untrusted.pem', original.intermediate.certificatePem + cross.pem);
    const leafPath = tmp.write('leaf.pem', leaf.pem);
    const otherRoot = tmp.write('other-root.pem', other.root.certificatePem);
    const at = attime(T0 + DAY);
    const viaCross = openssl(['verify', '-attime', at, '-show_chain', '-CAfile', otherRoot, '-untrusted', untrusted, leafPath]);
    expect(viaCross.stderr).toBe('');
    expect(viaCross.stdout).toContain(`${leafPath}: OK`);
    expect(viaCross.stdout).toContain('depth=3: C = DE, O = certfleet tests, CN = Old Root');

    const withoutCross = openssl(['verify', '-attime', at, '-CAfile', otherRoot, '-untrusted', tmp.write('inter.pem', original.intermediate.certificatePem), leafPath]);
    expect(withoutCross.status).not.toBe(0);

    const original2 = openssl(['verify', '-attime', at, '-CAfile', tmp.write('root.pem', original.root.certificatePem), '-untrusted', untrusted, leafPath]);
    expect(original2.status).toBe(0);
  });

  it('expires the cross path on its own notAfter while the original root still verifies', () => {
    const { original, other, cross, leaf } = crossSetup();
    const untrusted = tmp.write('untrusted.pem', original.intermediate.certificatePem + cross.pem);
    const leafPath = tmp.write('leaf.pem', leaf.pem);
    const late = openssl(['verify', '-attime', attime(T0 + 366 * DAY), '-CAfile', tmp.write('other.pem', other.root.certificatePem), '-untrusted', untrusted, leafPath]);
    expect(late.status).not.toBe(0);
  });

  it('copies a different pathLength when asked and refuses a target that is not a CA', () => {
    const { original, other, leaf } = crossSetup();
    const cross = other.root.crossSign(original.intermediate, { notBefore: T0, notAfter: T0 + DAY, pathLength: 3 });
    expect(certificateBasicConstraints(readCertificate(cross.der))).toEqual({ ca: true, pathLength: 3 });
    expect(() => other.root.crossSign({ certificateDer: leaf.der }, { notBefore: T0, notAfter: T0 + DAY })).toThrow(/not a CA/);
  });
});
