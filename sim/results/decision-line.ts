import type { FleetEvent } from '../events/fleet-event.js';

/**
 * One decision as one human line for a terminal, led by the broker's simulated time:
 * `2021-09-30T14:01:16Z refused device-0003 expired_leaf (device certificate notAfter 2021-09-30T14:01:15Z)`.
 * The first word after the time is what happened (admitted, refused, issued, csr-refused, delivered, ...), the second
 * who it happened to. Anything a client chose (its client id, above all) is quoted as JSON when it holds spaces or
 * control characters, so no client can break a line in two or send escape sequences to the terminal.
 */
export function decisionLine(event: FleetEvent): string {
  return `${instant(event.t)} ${describe(event)}`;
}

function describe(event: FleetEvent): string {
  switch (event.type) {
    case 'broker.admission': {
      if (event.cause === 'ok') {
        return `admitted ${word(event.device)} ${event.role ?? 'operational'}${certificate(event.serial, event.notAfter)}`;
      }
      const details = [
        event.failed !== undefined && event.failed !== event.device ? `failed at ${word(event.failed)}` : undefined,
        event.certificateCause !== undefined && event.certificateCause !== event.cause ? `certificate ${event.certificateCause}` : undefined,
        event.notAfter !== undefined ? `device certificate notAfter ${instant(event.notAfter)}` : undefined,
        event.serial !== undefined ? `serial ${event.serial}` : undefined,
        event.claimed !== undefined ? `claimed time ${word(event.claimed)}` : undefined,
      ].filter((d) => d !== undefined);
      return `refused ${word(event.device)} ${event.cause}${details.length > 0 ? ` (${details.join('; ')})` : ''}`;
    }
    case 'broker.tls-failure':
      // The alert's words are certfleet's own (sim/tls/alert-causes.ts); the error code is Node's.
      return `tls-failed ${word(event.source)} ${event.alert ?? 'no-alert'} (${clean(event.code ?? event.reason)})`;
    case 'broker.issuance':
      return event.ok
        ? `issued ${word(event.device)}${certificate(event.serial, event.notAfter)}`
        : `csr-refused ${word(event.device)} ${word(event.reason ?? 'unknown')}`;
    case 'broker.registration':
      return event.ok ? `registered ${word(event.device)}` : `registration-refused ${word(event.device)} ${word(event.reason ?? 'unknown')}`;
    case 'broker.job':
      return `job-${event.status} ${word(event.device)} ${word(event.jobId)}`;
    case 'broker.delivery': {
      const what = `${word(event.kind)} ${word(event.updateId)}`;
      const device = word(event.device);
      switch (event.outcome) {
        case 'sent':
          return `delivered ${what} to ${device}`;
        case 'acknowledged':
          return `acknowledged ${what} by ${device}`;
        case 'queued':
          return `queued ${what} for ${device}`;
        case 'synced':
          return `synced ${what} to ${device}`;
        case 'lost':
          return `lost ${what} to ${device}`;
      }
      return `delivery ${what} ${device}`;
    }
    case 'broker.request-refused':
      return `request-refused ${word(event.device)} ${event.request} ${event.reason} (${clean(event.problem)})`;
    case 'broker.connection-cut':
      return `cut ${word(event.source)} ${event.reason} (${event.detail})`;
    case 'broker.server-certificate':
      return `server-certificate ${word(event.name)}`;
    case 'broker.revocation':
      return `revoked ${word(event.target)} (${event.certificates} certificate${event.certificates === 1 ? '' : 's'})`;
    case 'broker.restart':
      return `restart (down for ${event.downFor / 1000} s)`;
    case 'broker.device-authorities':
      return `device-authorities ${event.authorities.map(word).join(', ')}`;
    case 'fault.start':
      return `fault-start ${event.fault} ${event.kind} ${clean(event.label)}`;
    case 'fault.end':
      return `fault-end ${event.fault} ${event.kind}`;
    case 'fault.effect':
      return `fault-effect ${word(event.device)} ${event.effect} (fault ${event.fault})`;
    default: {
      // Device events come from certfleet's own simulated devices, which a broker session has none of.
      const { type, t: _t, ...rest } = event;
      return `${type} ${clean(JSON.stringify(rest))}`;
    }
  }
}

function certificate(serial: string | undefined, notAfter: number | undefined): string {
  return `${serial === undefined ? '' : ` serial ${serial}`}${notAfter === undefined ? '' : ` notAfter ${instant(notAfter)}`}`;
}

/** "2021-09-30T14:01:16Z", milliseconds only when the instant has them. */
function instant(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString().replace('.000Z', 'Z') : String(t);
}

/** A client's word as it is when it is plain printable ASCII, else quoted as JSON (escapes included). */
function word(text: string): string {
  return /^[\x21-\x7e]+$/.test(text) && !text.startsWith('"') ? text : JSON.stringify(text);
}

/** Free text on one line: control characters (newlines, escapes) written as JSON escapes. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1));
}
