import type { FleetEvent } from '../../sim/events/fleet-event.js';
import type { AdmissionLedger } from '../admission-ledger.js';
import { judgeConnect, type AdmissionContext } from '../device-admission.js';
import type { InstanceHandlers } from './instance-host.js';
import type { FromBrokerInstance, ToBrokerInstance } from './instance-protocol.js';
import { InstanceTally, type InstanceReport } from './instance-report.js';
import type { InstanceConnection, InstanceSessions } from './instance-sessions.js';

type Admit = Extract<FromBrokerInstance, { type: 'admit' }>;
type Closed = Extract<FromBrokerInstance, { type: 'closed' }>;

export interface InstanceAdmissionOptions {
  /** Admission as one broker judges it (device-admission.ts), on the coordinator's registers and epoch. */
  context: AdmissionContext;
  ledger: AdmissionLedger;
  sessions: InstanceSessions;
  instances: number;
  reply: (instance: number, message: ToBrokerInstance) => void;
  onEvent: (event: FleetEvent) => void;
}

/**
 * The coordinator's side of admission for broker instances: judges each CONNECT an instance forwards (the chain it
 * was sent, the client id, the time claim), answers with the verdict, and keeps the registry's live sessions as the
 * instances report their connections closed.
 */
export class InstanceAdmission {
  readonly #options: InstanceAdmissionOptions;
  readonly #tallies: InstanceTally[];

  constructor(options: InstanceAdmissionOptions) {
    this.#options = options;
    this.#tallies = Array.from({ length: options.instances }, () => new InstanceTally());
  }

  /** What an instance host hands on (its death is the caller's). */
  get handlers(): Omit<InstanceHandlers, 'died' | 'failed'> {
    return {
      admit: (instance, message) => this.#admit(instance, message),
      closed: (instance, message) => this.#closed(instance, message),
      events: (events) => events.forEach(this.#options.onEvent),
    };
  }

  /** An instance died and was restarted: recorded in its report. */
  restarted(instance: number, t: number, reason: string, sessions: number): void {
    this.#tallies[instance]?.restarts.push({ t: new Date(t).toISOString(), reason, sessions });
  }

  report(instance: number, address: { host: string; port: number }, pids: number[]): InstanceReport {
    return (this.#tallies[instance] ?? new InstanceTally()).report(instance, address, pids);
  }

  #admit(instance: number, message: Admit): void {
    const { context, sessions, reply } = this.#options;
    const session: InstanceConnection = { instance, connection: message.connection, clientId: message.clientId };
    const { decision, returnCode } = judgeConnect(context, {
      connection: session,
      clientId: message.clientId,
      username: message.username,
      chain: () => message.chain.map((der) => context.pool.parse(der)),
    });
    if (returnCode === undefined) {
      session.role = decision.role ?? 'operational';
      sessions.add(session);
      const tally = this.#tallies[instance];
      if (tally && session.role === 'backend') tally.backend = true;
      else if (tally) {
        tally.admitted += 1;
        tally.devices.add(message.clientId);
      }
    }
    reply(instance, { type: 'verdict', request: message.request, returnCode, role: session.role });
  }

  #closed(instance: number, message: Closed): void {
    const { ledger, sessions } = this.#options;
    const session = sessions.get(instance, message.connection);
    if (!session) return;
    if (!message.sessionEnded) {
      ledger.socketClosed(session);
      return;
    }
    ledger.sessionEnded(session, session.clientId);
    sessions.remove(session);
  }
}
