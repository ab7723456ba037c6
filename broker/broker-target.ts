import type { BrokerEvent, SessionsDropped } from '../sim/plan/fleet-plan.js';

/** What the coordinator drives on the broker side: embedded Aedes, a Mosquitto certfleet runs, or an external broker. */
export interface BrokerTarget {
  /** Where devices and the backend connect. */
  readonly host: string;
  readonly port: number;
  /** What the summary, report and manifest say about the broker: `embedded`/`mosquitto`/`external`, its version, how its clock is set. */
  describe(): { target: 'embedded' | 'mosquitto' | 'external'; version: string; clock: string };
  /** Server-chain switch, revocation, restart, device authorities; says whose sessions it dropped. */
  applyEvent(event: BrokerEvent): SessionsDropped | Promise<SessionsDropped>;
  /** The epoch [from, to) opens: the embedded broker opens its claim window; Mosquitto's clock is set. */
  setEpoch(from: number, to: number): void | Promise<void>;
  /**
   * The earliest true time after `after` at which the broker's verdict on some certificate it judges can change
   * (a notBefore, or a notAfter + 1 s, at second precision): the coordinator ends an epoch there, so a broker with
   * one clock for all connections judges every connect at a reading on the right side of every bound.
   * Infinity for the embedded broker, which judges each connect at the time the device claims.
   */
  nextVerdictChangeAfter(after: number): number;
  /** The backend tells the target about a certificate it issued, so its bounds count too. */
  certificateIssued(certificatePem: string): void;
  close(): Promise<void>;
}
