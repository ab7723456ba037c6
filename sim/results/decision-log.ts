import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FleetEvent } from '../events/fleet-event.js';
import { writeFileAtomically } from './atomic-file.js';
import { decisionLine } from './decision-line.js';
import { EventLog } from './event-log.js';
import { SESSION_KIND, type SessionSummary } from './session-summary.js';
import { SessionTally } from './session-tally.js';
import { OutputWriteError } from './write-failure.js';

/** What a broker session is, for session.json and the head of its report. */
export interface SessionAbout {
  /** The scenario's name, and the file it was read from. */
  scenario: string;
  scenarioFile?: string | undefined;
  seed?: number | undefined;
  /** Where the broker listens. */
  broker?: { host: string; port: number } | undefined;
  /** The broker's simulated clock when the session starts (ms since the epoch). */
  simulatedStart: number;
}

export interface DecisionLogOptions {
  /** Hears one human line per decision (no trailing newline): `certfleet broker` writes them on stderr. */
  stderr?: ((line: string) => void) | undefined;
  /** Names the session in session.json; without it the session is "broker session" started at its first event. */
  session?: SessionAbout | undefined;
  /** A write that failed (a full disk): reported once, after which the log stops writing; the broker keeps serving. */
  onFailure?: ((error: OutputWriteError) => void) | undefined;
}

/**
 * The decision log of a standalone broker (`certfleet broker`): every event the broker stack emits (a connect's
 * verdict, a TLS failure, a CSR issued or refused, a registration, a job, a delivery and its acknowledgement, a
 * connection cut) as one JSON line in DIR/decisions.ndjson, the same line shape as a run's events.ndjson, and one
 * human line through `stderr`. DIR/session.json says what the session was and, once closed, its totals:
 * `certfleet report DIR` draws the session from the two (docs/standalone-broker.md, "Decision log").
 */
export class DecisionLog {
  readonly dir: string;
  readonly #log: EventLog;
  readonly #tally = new SessionTally();
  readonly #stderr: (line: string) => void;
  readonly #about: SessionAbout | undefined;
  readonly #startedAt = new Date().toISOString();
  #start: number | undefined;
  #reached: number | undefined;
  #closed = false;

  private constructor(dir: string, options: DecisionLogOptions) {
    this.dir = dir;
    this.#stderr = options.stderr ?? (() => undefined);
    this.#about = options.session;
    this.#start = options.session?.simulatedStart;
    this.#log = new EventLog(join(dir, 'decisions.ndjson'), options.onFailure);
  }

  /** Creates DIR if needed, starts DIR/decisions.ndjson and writes DIR/session.json (not complete yet). */
  static async open(dir: string, options: DecisionLogOptions = {}): Promise<DecisionLog> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new OutputWriteError(dir, error);
    }
    const log = new DecisionLog(dir, options);
    await writeFileAtomically(join(dir, 'session.json'), log.#summaryText(false));
    return log;
  }

  /** The first write that failed, if one did. */
  get failure(): OutputWriteError | undefined {
    return this.#log.failure;
  }

  /** Appends the event to decisions.ndjson and says it in one line. */
  onEvent = (event: FleetEvent): void => {
    if (this.#closed) return;
    this.#log.write(event, undefined);
    // A session's decisions go out as they are made (a client tails the log); they come in the broker's clock order.
    this.#log.flushUntil(Number.POSITIVE_INFINITY);
    this.#tally.add(event);
    this.#start ??= event.t;
    this.#reached = Math.max(this.#reached ?? event.t, event.t);
    this.#stderr(decisionLine(event));
  };

  /**
   * Closes decisions.ndjson (cut after its last whole line if a write failed) and writes session.json with the totals;
   * `reached` is the broker's simulated clock at the end (default: the last decision's time). Rejects with the first
   * write that failed, once both files are as whole as they can be.
   */
  async close(end: { reached?: number | undefined } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (end.reached !== undefined) this.#reached = Math.max(this.#reached ?? end.reached, end.reached);
    let failure: unknown;
    await this.#log.close().catch((error: unknown) => (failure = error));
    await writeFileAtomically(join(this.dir, 'session.json'), this.#summaryText(true)).catch((error: unknown) => (failure ??= error));
    if (failure !== undefined) throw failure;
  }

  #summaryText(complete: boolean): string {
    const summary: SessionSummary = {
      kind: SESSION_KIND,
      scenario: this.#about?.scenario ?? 'broker session',
      ...(this.#about?.scenarioFile === undefined ? {} : { scenarioFile: this.#about.scenarioFile }),
      ...(this.#about?.seed === undefined ? {} : { seed: this.#about.seed }),
      ...(this.#about?.broker === undefined ? {} : { broker: this.#about.broker }),
      simulated: { ...isoField('start', this.#start), ...isoField('reached', this.#reached ?? this.#start) },
      startedAt: this.#startedAt,
      ...(complete ? { endedAt: new Date().toISOString() } : {}),
      complete,
      decisions: this.#log.lines,
      totals: this.#tally.totals(),
    };
    return `${JSON.stringify(summary, null, 2)}\n`;
  }
}

function isoField<K extends string>(key: K, t: number | undefined): Partial<Record<K, string>> {
  return t === undefined ? {} : ({ [key]: new Date(t).toISOString() } as Record<K, string>);
}
