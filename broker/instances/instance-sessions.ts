import type { SessionRole } from '../device-admission.js';

/** A connection on a broker instance, as the coordinator's registry knows it (the object is the registry's key). */
export interface InstanceConnection {
  readonly instance: number;
  readonly connection: number;
  readonly clientId: string;
  role?: SessionRole | undefined;
}

/**
 * The admitted connections of every broker instance, by instance and the number the instance gave them: what the
 * coordinator asks an instance to close for a revocation or a partition, and what an instance that died held.
 */
export class InstanceSessions {
  readonly #byInstance = new Map<number, Map<number, InstanceConnection>>();

  add(session: InstanceConnection): void {
    let sessions = this.#byInstance.get(session.instance);
    if (!sessions) {
      sessions = new Map();
      this.#byInstance.set(session.instance, sessions);
    }
    sessions.set(session.connection, session);
  }

  get(instance: number, connection: number): InstanceConnection | undefined {
    return this.#byInstance.get(instance)?.get(connection);
  }

  remove(session: InstanceConnection): void {
    this.#byInstance.get(session.instance)?.delete(session.connection);
  }

  /** The device sessions (not the backend's) of one instance. */
  devicesOf(instance: number): InstanceConnection[] {
    return [...(this.#byInstance.get(instance)?.values() ?? [])].filter((s) => s.role !== 'backend');
  }

  /** Forgets an instance's sessions (its process died); returns them. */
  clear(instance: number): InstanceConnection[] {
    const sessions = [...(this.#byInstance.get(instance)?.values() ?? [])];
    this.#byInstance.delete(instance);
    return sessions;
  }
}
