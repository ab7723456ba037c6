import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { FailureTally } from '../../sim/results/failure-tally.js';
import { MINUTE } from '../support/time.js';

const T0 = Date.UTC(2030, 0, 1);

function tallyOf(events: FleetEvent[]): FailureTally {
  const tally = new FailureTally(() => 'fleet');
  for (const event of events) tally.add(event);
  return tally;
}

describe('the failure tally', () => {
  it('counts a real broker\'s refusal, read from its alert, as the broker\'s verdict marked with what it was inferred from', () => {
    const tally = tallyOf([
      { type: 'device.connect', t: T0, device: 'd1', cause: 'expired_leaf', inferredFrom: 'tls-alert:45 certificate_expired' },
      { type: 'device.connect', t: T0 + MINUTE, device: 'd2', cause: 'expired_leaf', inferredFrom: 'tls-alert:45 certificate_expired' },
      { type: 'device.connect', t: T0 + MINUTE, device: 'd3', cause: 'connection_refused', inferredFrom: 'connack:5' },
    ]);
    expect(tally.overall()).toEqual({
      'broker:expired_leaf': { count: 2, devices: 2, first: T0, last: T0 + MINUTE, inferredFrom: ['tls-alert:45 certificate_expired'] },
      'broker:connection_refused': { count: 1, devices: 1, first: T0 + MINUTE, last: T0 + MINUTE, inferredFrom: ['connack:5'] },
    });
    expect(tally.unrecovered().map((o) => [o.device, `${o.lastJudge}:${o.lastCause}`, o.inferredFrom])).toEqual([
      ['d1', 'broker:expired_leaf', 'tls-alert:45 certificate_expired'],
      ['d2', 'broker:expired_leaf', 'tls-alert:45 certificate_expired'],
      ['d3', 'broker:connection_refused', 'connack:5'],
    ]);
  });

  it('counts no failure for a connect the broker admitted, as a broker keeping a decision log records it', () => {
    const tally = tallyOf([
      { type: 'broker.admission', t: T0, device: 'd1', cause: 'ok', role: 'operational', serial: '01', notAfter: T0 + MINUTE },
      { type: 'device.connect', t: T0, device: 'd1', cause: 'ok' },
      { type: 'broker.admission', t: T0 + MINUTE, device: 'd1', cause: 'expired_leaf' },
    ]);
    expect(tally.overall()).toEqual({ 'broker:expired_leaf': { count: 1, devices: 1, first: T0 + MINUTE, last: T0 + MINUTE } });
  });

  it('still takes an embedded broker\'s refusal from the broker\'s own record, with nothing marked inferred', () => {
    const tally = tallyOf([
      { type: 'device.connect', t: T0, device: 'd1', cause: 'connection_refused' },
      { type: 'broker.admission', t: T0, device: 'd1', cause: 'revoked' },
    ]);
    expect(tally.overall()).toEqual({ 'broker:revoked': { count: 1, devices: 1, first: T0, last: T0 } });
    expect(tally.unrecovered()).toEqual([{ device: 'd1', cohort: 'fleet', lastCause: 'revoked', lastJudge: 'broker', since: T0, inferredFrom: undefined }]);
  });

  it('counts a rotation whose reconnect a real broker refused under the inferred cause, without waiting for a broker record', () => {
    const tally = tallyOf([
      { type: 'device.rotation', t: T0, device: 'd1', method: 'csr', outcome: 'failed', cause: 'connection_refused', inferredFrom: 'connack:5', step: 'reconnect', attempt: 1 },
      { type: 'device.rotation', t: T0, device: 'd2', method: 'csr', outcome: 'failed', cause: 'not_yet_valid', inferredFrom: 'tls-alert:42 bad_certificate', step: 'reconnect', attempt: 1 },
    ]);
    expect(tally.rotationFailures()).toEqual({
      connection_refused: { count: 1, devices: 1, first: T0, last: T0, inferredFrom: ['connack:5'] },
      not_yet_valid: { count: 1, devices: 1, first: T0, last: T0, inferredFrom: ['tls-alert:42 bad_certificate'] },
    });
  });
});
