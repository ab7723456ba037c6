import { describe, expect, it } from 'vitest';
import { ActivitySeries } from '../../sim/results/activity-series.js';
import { timelineMarkers } from '../../sim/results/timeline-markers.js';
import { buildScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import { DAY } from '../support/time.js';

const START = Date.UTC(2030, 0, 1);

describe('ActivitySeries', () => {
  it('counts each event in the sample interval [t - sample, t) it falls in, and fills empty intervals', () => {
    const series = new ActivitySeries(START, DAY);
    series.add({ type: 'device.rotation', t: START, device: 'a', method: 'csr', outcome: 'succeeded', cause: 'ok', attempt: 1 });
    series.add({ type: 'device.rotation', t: START + DAY - 1, device: 'b', method: 'csr', outcome: 'failed', cause: 'rotation_timeout', attempt: 1 });
    // Exactly on a sample time: the next interval (epochs are [from, to)).
    series.add({ type: 'device.rotation', t: START + 2 * DAY, device: 'c', method: 'csr', outcome: 'succeeded', cause: 'ok', attempt: 1 });
    series.addFailure('device:expired_root', START + 2 * DAY + 5);
    series.addFailure('device:expired_root', START + 2 * DAY + 6);
    series.add({ type: 'device.locked-out', t: START, device: 'd', certificateExpiredAt: START });

    const samples = series.samples(START + 4 * DAY);
    expect(samples.map((s) => s.t)).toEqual([1, 2, 3, 4].map((k) => START + k * DAY));
    expect(samples.map((s) => [s.rotationsSucceeded, s.rotationsFailed])).toEqual([[1, 1], [0, 0], [1, 0], [0, 0]]);
    expect(samples[2]?.failures).toEqual({ 'device:expired_root': 2 });
    expect(samples[0]?.failures).toEqual({});
  });
});

describe('timelineMarkers', () => {
  it('marks every CA and server certificate expiring within the timeline, with its role, and every event', () => {
    const { scenario } = loadScenario('scenarios/root-expiry-2030.yaml');
    const markers = timelineMarkers(scenario, buildScenarioPki(scenario, 1));
    const expiries = markers.filter((m) => m.kind === 'expiry').map((m) => [new Date(m.t).toISOString(), m.certificate?.name, m.certificate?.role]);
    expect(expiries).toEqual([
      ['2030-01-01T00:00:00.000Z', 'root-2010', 'root'],
      ['2030-01-01T00:00:00.000Z', 'server-ca-2010', 'intermediate'],
      ['2030-01-01T00:00:00.000Z', 'broker-2010', 'server'],
    ]);
    const events = markers.filter((m) => m.kind === 'event').map((m) => [new Date(m.t).toISOString(), m.label]);
    expect(events).toEqual([
      ['2029-07-01T00:00:00.000Z', 'trust rollout adds root-g2 (90%)'],
      ['2029-10-01T00:00:00.000Z', 'broker switches to broker-g2-cross'],
      ['2030-02-01T00:00:00.000Z', 'broker switches to broker-g2'],
    ]);
    expect(markers.map((m) => m.t)).toEqual([...markers.map((m) => m.t)].sort((a, b) => a - b));
  });
});
