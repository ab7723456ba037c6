import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { buildSessionModel } from '../../sim/report/session-model.js';
import { renderSessionReport } from '../../sim/report/render-session-report.js';
import type { SessionData } from '../../sim/report/session-data.js';
import { DAY, HOUR, MINUTE } from '../support/time.js';

const T0 = Date.parse('2021-09-29T00:00:00Z');

function session(events: FleetEvent[]): SessionData {
  return { dir: '/tmp/session', about: undefined, events, lines: events.length };
}

describe('the model of a broker session report', () => {
  it('counts three days of decisions per hour, each in the interval it was made in, refusals by cause', () => {
    const model = buildSessionModel(
      session([
        { type: 'broker.admission', t: T0, device: 'd1', cause: 'ok', role: 'operational' },
        { type: 'broker.admission', t: T0 + 30 * MINUTE, device: 'd1', cause: 'ok', role: 'operational' },
        { type: 'broker.server-certificate', t: T0 + DAY, name: 'isrg-chain' },
        { type: 'broker.admission', t: T0 + DAY + HOUR + 1, device: 'd2', cause: 'expired_root' },
        { type: 'broker.admission', t: T0 + 3 * DAY, device: 'd3', cause: 'expired_root' },
      ]),
    );
    expect(model.intervalMs).toBe(HOUR);
    expect(model.timeline).toEqual({ start: T0, end: T0 + 73 * HOUR, reached: T0 + 73 * HOUR });
    const admitted = model.connects.find((c) => c.key === 'admitted');
    const refused = model.connects.find((c) => c.key === 'broker:expired_root');
    expect(model.connects.map((c) => c.key)).toEqual(['admitted', 'broker:expired_root']);
    expect(admitted?.series.t).toHaveLength(73);
    // Points sit mid-interval.
    expect(admitted?.series.t[0]).toBe(T0 + HOUR / 2);
    expect(admitted?.series.values[0]).toBe(2);
    expect(refused?.series.values[25]).toBe(1);
    expect(refused?.series.values[72]).toBe(1);
    expect(refused?.series.values.reduce((a, b) => a + b, 0)).toBe(2);
    expect(model.markers).toEqual([{ t: T0 + DAY, kind: 'event', labels: ['broker serves isrg-chain'] }]);
  });

  it('gives a session that decided nothing a page that says so', () => {
    const page = renderSessionReport(session([]));
    expect(page).toContain('The broker decided nothing');
    expect(page).toContain('No client sent a CONNECT.');
    expect(page).not.toContain('<canvas');
  });
});
