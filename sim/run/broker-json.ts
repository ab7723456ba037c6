import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserInputError } from '../input/user-input-error.js';
import type { BrokerDescription } from '../results/broker-description.js';
import { writeFileAtomically } from '../results/atomic-file.js';

/**
 * `DIR/broker.json`: what a client and a test need to reach a running `certfleet broker`: where it listens, the name
 * its server certificate carries, its simulated clock and how to move it, and where the credentials and the log are.
 */
export interface BrokerJson {
  scenario: { name: string; file: string; seed: number };
  broker: BrokerDescription;
  /** The address the broker listens on: 0.0.0.0 or :: is every address of this host, for devices on other hosts. */
  listen: string;
  /** Clients on this host dial this address... */
  host: string;
  port: number;
  /** ...and check, and send in SNI, the name the server certificate carries (the scenario's broker.host). */
  serverName: string;
  clock: {
    /** The simulated time when the broker started, and its rate then ("frozen", "1h/s"). */
    time: string;
    speed: string;
    /** `GET` reads the clock, `POST` moves it: {"at": ISO} or {"advance": "90s"}, optionally with {"speed": "1h/s"}. */
    control: string;
    /** How to move it from a shell. */
    usage: string[];
    /** The simulated time in libfaketime's FAKETIME_TIMESTAMP_FILE format, rewritten whenever it changes. */
    file: string;
    /** The environment a client runs under to follow the broker's clock (docs/standalone-broker.md). */
    followWith: string;
  };
  /**
   * 'ignore': the CONNECT user name `certfleet-t=...` and a request's `t` are not believed; every client is judged at
   * the broker's clock. 'accept' (--accept-time-claims): as in `certfleet run`.
   */
  timeClaims: 'accept' | 'ignore';
  /** The run's CA, the exported device identities and the decision log. */
  ca: string;
  devices: string;
  decisions: string;
  /**
   * The device identities exported for this session: id, cohort, the MQTT client id to connect with (the
   * certificate's CN), the folder under `devices` with its files, and the certificate's notAfter (ISO).
   */
  identities: { id: string; cohort: string; clientId: string; folder: string; notAfter: string }[];
  startedAt: string;
  /** Set when the broker stopped (Ctrl-C): the files stay, the address no longer answers. */
  stoppedAt?: string | undefined;
}

export const BROKER_JSON = 'broker.json';

export async function writeBrokerJson(dir: string, info: BrokerJson): Promise<void> {
  await writeFileAtomically(join(dir, BROKER_JSON), `${JSON.stringify(info, null, 2)}\n`);
}

/** What a client of the clock control needs from `DIR/broker.json`; a file that does not say it is bad input. */
export async function readBrokerJson(dir: string): Promise<Pick<BrokerJson, 'host' | 'port' | 'clock'>> {
  const file = join(dir, BROKER_JSON);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found: expected the folder of a running `certfleet broker` (its --export folder)' : `cannot be read (${code ?? 'error'})`;
    throw new UserInputError(file, [why]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserInputError(file, ['is not JSON (RFC 8259)']);
  }
  const record = parsed as Partial<BrokerJson> | null;
  const control = record?.clock?.control;
  if (typeof control !== 'string' || !/^http:\/\/127\.0\.0\.1:\d+\/clock$/.test(control)) {
    throw new UserInputError(file, ['clock.control: expected the clock control URL, http://127.0.0.1:<port>/clock']);
  }
  if (typeof record?.host !== 'string' || typeof record.port !== 'number') throw new UserInputError(file, ['host, port: expected the broker\'s address']);
  return { host: record.host, port: record.port, clock: record.clock as BrokerJson['clock'] };
}
