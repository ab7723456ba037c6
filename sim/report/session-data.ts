import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isCause } from '../causes.js';
import type { FleetEvent } from '../events/fleet-event.js';
import { readBoundedFile, UnreadableFileError } from '../input/read-bounded-file.js';
import { sessionSummarySchema, type SessionSummary } from '../results/session-summary.js';
import { checked, ReportInputError } from './report-data.js';

/** A `certfleet broker` session as its report sees it: what session.json says of it, and every decision logged. */
export interface SessionData {
  dir: string;
  /** session.json, when the folder has one (a session that could not write it still has its log). */
  about: SessionSummary | undefined;
  /** The decisions of the types a report draws, in the order logged; others (a newer certfleet's) are passed over. */
  events: FleetEvent[];
  /** Lines in decisions.ndjson, drawn or not. */
  lines: number;
}

/** decisions.ndjson is read whole: a session's log past this size is refused before a byte is read. */
const MAX_LOG_BYTES = 512 * 1024 * 1024;
/** session.json is a page of totals. */
const MAX_ABOUT_BYTES = 1024 * 1024;
const MAX_PROBLEMS = 12;

/** Whether DIR holds a broker session's decision log and no run summary: `certfleet report` draws it as a session. */
export function isSessionFolder(dir: string): boolean {
  return !existsSync(join(dir, 'summary.json')) && existsSync(join(dir, 'decisions.ndjson'));
}

const device = z.string();
const t = z.number().refine(Number.isFinite, 'expected a finite time in ms');
const cause = z.string().refine(isCause, 'expected a cause of sim/causes.ts');
/** The fields of each event type the report reads; what else a line holds is kept as it is. */
const DRAWN: Record<string, z.ZodType> = {
  'broker.admission': z.looseObject({ t, device, cause, role: z.string().optional(), failed: z.string().optional(), notAfter: t.optional() }),
  'broker.issuance': z.looseObject({ t, device, ok: z.boolean(), reason: z.string().optional() }),
  'broker.registration': z.looseObject({ t, device, ok: z.boolean() }),
  'broker.job': z.looseObject({ t, device, status: z.string() }),
  'broker.delivery': z.looseObject({ t, device, outcome: z.enum(['sent', 'acknowledged', 'queued', 'synced', 'lost']) }),
  'broker.tls-failure': z.looseObject({ t, source: z.string(), alert: z.string().optional(), reason: z.string() }),
  'broker.connection-cut': z.looseObject({ t, source: z.string(), reason: z.string() }),
  'broker.request-refused': z.looseObject({ t, device, request: z.string(), reason: z.string() }),
  'broker.server-certificate': z.looseObject({ t, name: z.string() }),
  'broker.revocation': z.looseObject({ t, target: z.string(), certificates: z.number() }),
  'broker.restart': z.looseObject({ t, downFor: z.number() }),
  'broker.device-authorities': z.looseObject({ t, authorities: z.array(z.string()) }),
  'fault.start': z.looseObject({ t, label: z.string() }),
};

/**
 * Reads DIR/decisions.ndjson (and DIR/session.json when there is one); throws a ReportInputError naming the file and
 * each line that is not a decision the report can draw. A last line without its line break is a write the session
 * never finished (it was killed): it is passed over, as the log itself would have cut it.
 */
export function loadSessionData(dir: string): SessionData {
  const aboutFile = join(dir, 'session.json');
  const about = existsSync(aboutFile) ? checked(sessionSummarySchema, readJson(aboutFile), aboutFile) : undefined;
  const logFile = join(dir, 'decisions.ndjson');
  const text = read(logFile, MAX_LOG_BYTES).toString('utf8');
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  const rows = complete === '' ? [] : complete.slice(0, -1).split('\n');
  const events: FleetEvent[] = [];
  const problems: string[] = [];
  rows.forEach((row, index) => {
    const problem = (what: string) => problems.push(`line ${index + 1}: ${what}`);
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch (error) {
      problem(`not valid JSON (${(error as Error).message})`);
      return;
    }
    const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
    if (typeof type !== 'string') return void problem('expected an object with a "type"');
    const schema = DRAWN[type];
    if (!schema) return;
    const result = schema.safeParse(value);
    if (result.success) events.push(value as FleetEvent);
    else problem(`${type}: ${result.error.issues.map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; ')}`);
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
    throw new ReportInputError(logFile, shown);
  }
  return { dir, about, events, lines: rows.length };
}

function read(file: string, maxBytes: number): Buffer {
  try {
    return readBoundedFile(file, maxBytes);
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new ReportInputError(file, [error.reason]);
    throw error;
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(read(file, MAX_ABOUT_BYTES).toString('utf8')) as unknown;
  } catch (error) {
    if (error instanceof ReportInputError) throw error;
    throw new ReportInputError(file, [`not valid JSON (${(error as Error).message})`]);
  }
}
