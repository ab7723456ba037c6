import { readFileSync } from 'node:fs';

/**
 * One line of a run's events.ndjson as tests read it: the fields any event type may carry, loosely typed so a test
 * can filter by `type` and read what it needs (sim/events/fleet-event.ts has the precise union).
 */
export interface EventLine {
  type: string;
  t: number;
  device?: string;
  cohort?: string;
  cause?: string;
  outcome?: string;
  method?: string;
  step?: string;
  attempt?: number;
  status?: string;
  ok?: boolean;
  reason?: string;
  result?: string;
  certificateExpiredAt?: number;
}

/** A line of a test that reads device events only: the device and its cohort are always there. */
export type DeviceEventLine = EventLine & { device: string; cohort: string };

/** Every event of an events.ndjson file, in the order written. */
export function readEventLines<Line extends EventLine = EventLine>(file: string): Line[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Line);
}
