import { z } from 'zod';
import { DURATION_HINT, parseDuration } from '../time/duration.js';

/** Describes a YAML value in an error message the way a user wrote it. */
export function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (typeof input === 'string') return JSON.stringify(input);
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return String(input);
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z)?$/;

/** An instant written as ISO 8601 in UTC ("2030-01-01T00:00:00Z" or "2030-01-01"), as ms since the Unix epoch. */
export const instant = z
  .string({ error: (issue) => `expected a UTC time such as "2030-01-01T00:00:00Z", got ${describeInput(issue.input)}` })
  .transform((text, ctx) => {
    const ms = ISO_UTC.test(text) ? Date.parse(text) : Number.NaN;
    // Date.parse rolls 2030-02-30 over to March; a date that does not exist is a mistake in the file.
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text.slice(0, 10)) {
      ctx.issues.push({
        code: 'custom',
        input: text,
        message: `expected a UTC time such as "2030-01-01T00:00:00Z", got ${describeInput(text)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

/**
 * The longest duration a scenario may write, either way: 1000 years. Times stay far inside what a Date holds and what
 * X.509 encodes (years 0000-9999, RFC 5280 4.1.2.5) whatever durations are added to them.
 */
export const MAX_DURATION_MS = 1000 * 365 * 86_400_000;

/** A duration ("24h", "90d") as milliseconds. */
export const duration = z
  .string({ error: (issue) => `expected ${DURATION_HINT}, got ${describeInput(issue.input)}` })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.issues.push({ code: 'custom', input: text, message: `expected ${DURATION_HINT}, got ${describeInput(text)}` });
      return z.NEVER;
    }
    if (!Number.isSafeInteger(ms) || Math.abs(ms) > MAX_DURATION_MS) {
      ctx.issues.push({ code: 'custom', input: text, message: `expected a duration of at most 1000y either way, got ${describeInput(text)}` });
      return z.NEVER;
    }
    return ms;
  });

/** A strictly positive duration. */
export const positiveDuration = duration.refine((ms) => ms > 0, { message: 'expected a duration greater than zero' });

/** A fraction in [0, 1] written as 0.8, "80%" or "2/3". */
export const fraction = z
  .union([z.number(), z.string()], {
    error: (issue) => `expected a fraction such as 0.8, "80%" or "2/3", got ${describeInput(issue.input)}`,
  })
  .transform((value, ctx) => {
    const parsed = parseFraction(value);
    if (parsed === undefined || parsed < 0 || parsed > 1) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `expected a fraction between 0 and 1 such as 0.8, "80%" or "2/3", got ${describeInput(value)}`,
      });
      return z.NEVER;
    }
    return parsed;
  });

function parseFraction(value: number | string): number | undefined {
  if (typeof value === 'number') return value;
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  if (percent) return Number(percent[1]) / 100;
  const ratio = /^(\d+)\/(\d+)$/.exec(value);
  if (ratio && Number(ratio[2]) > 0) return Number(ratio[1]) / Number(ratio[2]);
  return undefined;
}

/**
 * A clock's drift in parts per million, within a million either way (a clock that stands still, or runs at twice the
 * rate): beyond it a device's clock would leave what a date can hold.
 */
export const driftPpm = z.number().min(-1_000_000).max(1_000_000);

/** A number (a drift), or a range drawn uniformly per device: { min, max }. */
export const numberOrRange = z.union(
  [
    driftPpm,
    z
      .strictObject({ min: driftPpm, max: driftPpm })
      .refine((r) => r.min <= r.max, { message: 'expected min <= max' }),
  ],
  { error: (issue) => `expected a number or a range { min, max }, got ${describeInput(issue.input)}` },
);

/** Events per simulated second in a capacity limit: from one a million seconds (11.6 days) to a billion. */
export const ratePerSecond = z.number().min(0.000001).max(1_000_000_000);

/** Names that other parts of the scenario refer to. */
export const name = z
  .string({ error: (issue) => `expected a name, got ${describeInput(issue.input)}` })
  .regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'expected a name of lower-case letters, digits, ".", "_" and "-"' });

/** rsa-1024 is deliberately weak: it is there to build the keys Device Defender's key-quality check flags. */
export const keyAlgorithm = z.enum(['ec-p256', 'rsa-2048', 'rsa-1024'], {
  error: (issue) => `expected "ec-p256", "rsa-2048" or "rsa-1024", got ${describeInput(issue.input)}`,
});

/** Simulated time per wall second: "30d/s" gives milliseconds of simulated time per wall second; "max" is Infinity. */
export const speed = z
  .string({ error: (issue) => `expected "max" or a rate such as "30d/s", got ${describeInput(issue.input)}` })
  .transform((text, ctx) => {
    if (text === 'max') return Number.POSITIVE_INFINITY;
    const perSecond = /^(.+)\/s$/.exec(text);
    const ms = perSecond?.[1] === undefined ? undefined : parseDuration(perSecond[1]);
    if (ms === undefined || ms <= 0) {
      ctx.issues.push({ code: 'custom', input: text, message: `expected "max" or a rate such as "30d/s", got ${describeInput(text)}` });
      return z.NEVER;
    }
    return ms;
  });

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
/** RFC 1034 3.5 labels (with "_", as real names have), optionally a leading "*." wildcard (RFC 6125 6.4.3). */
const DNS_NAME = /^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;

/**
 * A host name or IPv4 address, as a server certificate's subjectAltName holds it (RFC 5280 4.2.1.6: dNSName is an
 * IA5String, iPAddress four octets) and as a device sends it in TLS SNI (RFC 6066 3).
 */
export const hostName = z
  .string({ error: (issue) => `expected a host name such as "broker.example" or an IPv4 address, got ${describeInput(issue.input)}` })
  .refine(
    (text) => {
      const ip = IPV4.exec(text);
      if (ip) return ip.slice(1).every((octet) => Number(octet) <= 255);
      return text.length <= 253 && DNS_NAME.test(text);
    },
    { error: (issue) => `expected a host name such as "broker.example" or an IPv4 address, got ${describeInput(issue.input)}` },
  );

