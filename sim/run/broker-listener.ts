import { createServer } from 'node:net';
import { advertisedAddress } from '../../broker/listen-address.js';
import { UserInputError } from '../input/user-input-error.js';
import type { Scenario } from '../scenario/schema.js';

/** Where the broker is to listen: the scenario's broker.listen, each part overridden by its flag. */
export interface ListenChoice {
  address: string;
  port: number;
  /** The address devices on other hosts dial, when the scenario or --advertise names one. */
  advertise?: string | undefined;
  /** Which flag or field set the address and the port, for the error messages. */
  addressFrom: string;
  portFrom: string;
}

/** Where the broker listened, as the manifest and the summary say it (broker.listen). */
export interface BrokerListening {
  /** The address it listened on (0.0.0.0 or ::: every address of the host). */
  address: string;
  port: number;
  /** The address device workers on this host dialled. */
  dial: string;
  /** The address devices on other hosts (device agents) are told to dial. */
  advertise: string;
}

/** The address cannot be listened on (not an address of this host, a port in use): bad input, said before the run. */
export class ListenAddressError extends UserInputError {}

export function listenChoice(
  loaded: { file: string; scenario: Scenario },
  flags: { listen?: string | undefined; port?: number | undefined; advertise?: string | undefined },
): ListenChoice {
  const written = loaded.scenario.broker.listen;
  return {
    address: flags.listen ?? written?.address ?? '127.0.0.1',
    port: flags.port ?? written?.port ?? 0,
    advertise: flags.advertise ?? written?.advertise,
    addressFrom: flags.listen !== undefined ? '--listen' : `${loaded.file}: broker.listen.address`,
    portFrom: flags.port !== undefined ? '--broker-port' : `${loaded.file}: broker.listen.port`,
  };
}

/**
 * Binds the address and port once and lets them go, before the run folder is written: an address that is not this
 * host's (EADDRNOTAVAIL) or a port another program holds (EADDRINUSE) is the user's to fix, said in one line, not a
 * failed run. (The broker binds it again a moment later; a program taking the port in between fails the run.)
 */
export async function checkListenable(choice: ListenChoice): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(choice.port, choice.address, resolve);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const where = choice.address.includes(':') ? `[${choice.address}]:${choice.port}` : `${choice.address}:${choice.port}`;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new ListenAddressError(choice.portFrom, [`cannot listen on ${where} (${code}); choose another port, or 0 for any free one`]);
    }
    const hint = code === 'EADDRNOTAVAIL' ? ': not an address of this host; give one of its addresses, or 0.0.0.0 for all of them' : '';
    throw new ListenAddressError(choice.addressFrom, [`cannot listen on ${where} (${code})${hint}`]);
  } finally {
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Where the running broker listens, dials and is dialled from other hosts. */
export function brokerListening(choice: ListenChoice, broker: { host: string; port: number }): BrokerListening {
  return { address: choice.address, port: broker.port, dial: broker.host, advertise: advertisedAddress(choice.address, choice.advertise) };
}

/** The broker's addresses as devices on other hosts dial them: the advertised host, at each instance's own port. */
export function advertisedBroker<T extends { host: string; port: number; instances?: readonly { host: string; port: number }[] | undefined }>(dialled: T, advertise: string): T {
  return { ...dialled, host: advertise, instances: dialled.instances?.map((instance) => ({ ...instance, host: advertise })) };
}
