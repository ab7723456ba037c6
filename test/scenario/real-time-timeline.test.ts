import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../sim/scenario/load-scenario.js';
import { MINUTE } from '../support/time.js';
import { edited, type Edit } from './scenario-text.js';

const NOW = Date.parse('2026-12-04T16:41:09.734Z');
/** A real-time timeline has no place for an event at a fixed date. */
const NO_EVENTS: Edit = ['events:\n  - type: server-certificate\n    at: 2030-02-01T00:00:00Z\n    use: broker\n', ''];
const REAL_TIME: Edit = ['  start: 2030-01-01T00:00:00Z\n  end: 2030-03-01T00:00:00Z\n', '  start: now\n  duration: 4m\n  speed: 1s/s\n'];

function problemsOf(text: string): readonly string[] {
  try {
    parseScenario(text, 'test.yaml', { now: NOW });
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  throw new Error('expected a ScenarioError, but the scenario was accepted');
}

describe('a timeline on real time', () => {
  it('starts "now" at the whole second the scenario is loaded, and lasts its duration', () => {
    const { timeline } = parseScenario(edited(REAL_TIME, NO_EVENTS), 'test.yaml', { now: NOW });
    expect(timeline).toMatchObject({ start: Date.parse('2026-12-04T16:41:09Z'), end: Date.parse('2026-12-04T16:45:09Z'), speed: 1000, startsNow: true });
  });

  it('takes a duration instead of an end for a timeline at a fixed start too', () => {
    const { timeline } = parseScenario(edited(['  end: 2030-03-01T00:00:00Z\n', '  duration: 30m\n'], NO_EVENTS), 'test.yaml', { now: NOW });
    expect(timeline).toMatchObject({ start: Date.parse('2030-01-01T00:00:00Z'), end: Date.parse('2030-01-01T00:00:00Z') + 30 * MINUTE, startsNow: false });
  });

  it('refuses both an end and a duration', () => {
    expect(problemsOf(edited(['  end: 2030-03-01T00:00:00Z\n', '  end: 2030-03-01T00:00:00Z\n  duration: 30m\n']))).toEqual([
      'line 6, column 3: timeline.duration: expected either timeline.end or timeline.duration, not both',
    ]);
  });

  it('refuses a timeline starting now with neither an end nor a duration, and says what is missing', () => {
    expect(problemsOf(edited(['  start: 2030-01-01T00:00:00Z\n  end: 2030-03-01T00:00:00Z\n', '  start: now\n']))).toEqual([
      'line 4, column 3: timeline.end: required: expected timeline.duration (how long a timeline starting "now" lasts) or an end time',
    ]);
  });

  it('refuses a start that is neither "now" nor a UTC time', () => {
    expect(problemsOf(edited(['  start: 2030-01-01T00:00:00Z\n', '  start: soon\n']))).toEqual([
      'line 4, column 3: timeline.start: expected "now" or a UTC time such as "2030-01-01T00:00:00Z", got "soon"',
    ]);
  });
});
