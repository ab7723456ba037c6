/**
 * The tiny scenario moved to the real present: its timeline starts at `now` (whole seconds) and its server
 * certificates are valid from 30 days before to 60 days after, so a real client (mosquitto_pub, openssl s_client)
 * that checks the broker's chain at the host clock accepts it, as it would a production broker's.
 */
import type { Scenario } from '../../sim/scenario/schema.js';
import { editedText, type TextEdit } from './scenario-file.js';
import { TINY_SCENARIO, tinyScenario } from './tiny-scenario.js';
import { DAY } from './time.js';

export function presentScenario(now: number, ...edits: TextEdit[]): Scenario {
  const iso = (t: number) => new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const serverValidity: TextEdit = [
    'notBefore: 2029-01-01T00:00:00Z\n      notAfter: 2031-01-01T00:00:00Z',
    `notBefore: ${iso(now - 30 * DAY)}\n      notAfter: ${iso(now + 60 * DAY)}`,
  ];
  return tinyScenario(
    editedText(
      TINY_SCENARIO,
      ['start: 2030-01-01T00:00:00Z', `start: ${iso(now)}`],
      ['end: 2030-03-01T00:00:00Z', `end: ${iso(now + 30 * DAY)}`],
      serverValidity,
      serverValidity,
      ...edits,
    ),
  );
}
