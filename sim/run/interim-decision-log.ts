import { join } from 'node:path';
import type { FleetEvent } from '../events/fleet-event.js';
import { EventLog } from '../results/event-log.js';

/**
 * The standalone broker's decision log until the full one (sim/results/decision-log.ts, DecisionLog) is in: every
 * event the broker and backend emit as one JSON line in `decisions.ndjson`, and one short line on stderr. Same shape
 * as DecisionLog (open, onEvent, close), so the one replaces the other where it is opened.
 */
export class InterimDecisionLog {
  readonly #log: EventLog;
  readonly #stderr: ((line: string) => void) | undefined;

  private constructor(dir: string, stderr: ((line: string) => void) | undefined) {
    this.#log = new EventLog(join(dir, 'decisions.ndjson'));
    this.#stderr = stderr;
  }

  static open(dir: string, options: { stderr?: ((line: string) => void) | undefined } = {}): Promise<InterimDecisionLog> {
    return Promise.resolve(new InterimDecisionLog(dir, options.stderr));
  }

  onEvent = (event: FleetEvent): void => {
    this.#log.write(event, undefined);
    this.#stderr?.(describeEvent(event));
  };

  close(): Promise<void> {
    return this.#log.close();
  }
}

/** "2030-01-15T00:00:00.000Z broker.admission device-00001 expired_leaf": time, type, who, and the outcome. */
function describeEvent(event: FleetEvent): string {
  const who = 'device' in event ? ` ${event.device}` : '';
  const outcome = 'cause' in event ? ` ${event.cause}` : 'ok' in event ? ` ${event.ok ? 'ok' : `refused ${event.reason ?? ''}`.trim()}` : '';
  return `${new Date(event.t).toISOString()} ${event.type}${who}${outcome}`;
}
