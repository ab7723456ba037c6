import type { ScenarioProblem } from './check-references.js';
import type { ParsedScenario, Scenario } from './schema.js';

/**
 * The timeline as instants: `start: now` is the time the scenario is loaded, to the whole second (certificates hold
 * whole seconds, RFC 5280 4.1.2.5), and the end is `end`, or `duration` after the start. `now` is the caller's: the
 * one place a scenario reads the host clock, to start a run on real time.
 */
export function resolveTimeline(parsed: ParsedScenario, now: number): { scenario: Scenario; problems: ScenarioProblem[] } {
  const { start, end, duration, ...rest } = parsed.timeline;
  const problems: ScenarioProblem[] = [];
  const startsNow = start === 'now';
  const from = startsNow ? Math.floor(now / 1000) * 1000 : start;
  if (end !== undefined && duration !== undefined) {
    problems.push({ path: ['timeline', 'duration'], message: 'expected either timeline.end or timeline.duration, not both' });
  } else if (end === undefined && duration === undefined) {
    problems.push({
      path: ['timeline', 'end'],
      message: startsNow ? 'required: expected timeline.duration (how long a timeline starting "now" lasts) or an end time' : 'required: expected a UTC time, or timeline.duration',
    });
  }
  const to = end ?? from + (duration ?? 0);
  return { scenario: { ...parsed, timeline: { ...rest, start: from, end: to, startsNow } }, problems };
}
