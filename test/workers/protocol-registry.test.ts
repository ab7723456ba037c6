import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  BACKEND_DRIVEN_METHODS,
  deliveryKindOf,
  isBackendDriven,
  methodStartedBy,
  ROTATION_METHODS,
  ROTATION_PROTOCOLS,
} from '../../sim/device-api/rotation-protocols.js';
import { scenarioJsonSchema } from '../../sim/scenario/json-schema.js';
import { scenarioSchema } from '../../sim/scenario/schema.js';
import { recoveryProtocol, rotationProtocol } from '../../workers/rotation/protocol-registry.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

describe('the rotation protocol registry', () => {
  it('is what the scenario schema accepts: every registered name, and nothing else', () => {
    const withProtocol = (name: string) =>
      scenarioSchema.safeParse(parseYaml(TINY_SCENARIO.replace('      trustStore: { anchors: [server-root] }\n', `      trustStore: { anchors: [server-root] }\n      rotation: { protocol: ${name} }\n`)));
    for (const method of ROTATION_METHODS) expect(withProtocol(method).data?.fleet.cohorts[0]?.rotation.protocol).toBe(method);
    const refused = withProtocol('est');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(['fleet', 'cohorts', 0, 'rotation', 'protocol']);
  });

  it('describes every protocol in the JSON Schema editors read', () => {
    const text = JSON.stringify(scenarioJsonSchema());
    for (const method of ROTATION_METHODS) expect(text).toContain(`${method}: ${ROTATION_PROTOCOLS[method].description}`);
  });

  it('gives a device the traits the registry names for each protocol', () => {
    for (const method of ROTATION_METHODS) {
      const protocol = rotationProtocol(method);
      expect(protocol.method).toBe(method);
      expect(protocol.worksOffline).toBe(ROTATION_PROTOCOLS[method].worksOffline);
      expect(protocol.deviceInitiated).toBe(!isBackendDriven(method));
    }
    expect(recoveryProtocol.worksOffline).toBe(true);
  });

  it('starts each backend-driven protocol with a delivery kind of its own, so a delivery names one protocol', () => {
    expect(BACKEND_DRIVEN_METHODS.length).toBeGreaterThan(0);
    const kinds = BACKEND_DRIVEN_METHODS.map(deliveryKindOf);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const method of BACKEND_DRIVEN_METHODS) expect(methodStartedBy(deliveryKindOf(method))).toBe(method);
  });

  it('carries a planned certificate delivery out as a push', () => {
    expect(methodStartedBy('certificate')).toBe('push');
  });

  it('fails a backend-driven device that tries to start a rotation itself as timed out (it has nothing to send)', async () => {
    for (const method of BACKEND_DRIVEN_METHODS) {
      // No host is touched: the device half is never asked to start.
      const outcome = await rotationProtocol(method).start(undefined as never, 0, 1);
      expect(outcome).toEqual({ kind: 'failed', cause: 'rotation_timeout', step: 'request' });
    }
  });
});
