import { SeededRandom } from '../random/seeded-random.js';
import type { Scenario, ScenarioCohort } from '../scenario/schema.js';
import { planFaults, type PlannedFault } from './fault-plan.js';

/**
 * What a run will do, decided before it starts from the scenario and the seed alone: which device is in which
 * cohort, when the broker changes, which devices receive which trust update when. Pure and printable; the run
 * only carries it out, so any shard of the fleet can be replayed on its own.
 */
export interface FleetPlan {
  scenario: Scenario;
  seed: number;
  devices: PlannedDevice[];
  brokerEvents: BrokerEvent[];
  deliveries: Delivery[];
  /** The scenario's injected faults (sim/plan/fault-plan.ts); each starts and ends with a broker event. */
  faults: PlannedFault[];
  /** Times where an epoch must start because the broker changes there. */
  boundaries: number[];
}

export interface PlannedDevice {
  index: number;
  id: string;
  cohort: number;
  /** The MQTT client id it connects with: its id, unless its cohort's identity says otherwise. */
  clientId: string;
  /** The device whose factory credentials it carries (itself, or the first of its group when they are cloned). */
  credentialsOf: string;
}

export type BrokerEvent =
  | { at: number; kind: 'server-certificate'; use: string }
  | { at: number; kind: 'revoke-authority'; authority: string }
  | { at: number; kind: 'revoke-devices'; deviceIds: string[] }
  | { at: number; kind: 'device-authorities'; add: string[]; remove: string[] }
  | { at: number; kind: 'restart'; downFor: number }
  /** A fault begins: the broker records it; a partition drops `clientIds`; a process kill names the device it kills. */
  | { at: number; kind: 'fault-start'; fault: number; clientIds?: string[] | undefined; kill?: string | undefined }
  | { at: number; kind: 'fault-end'; fault: number };

/** Sessions a broker event ended (a restart: all of them; a revocation: those on the revoked certificates). */
export interface SessionsDropped {
  all?: true | undefined;
  clientIds?: string[] | undefined;
}

/**
 * Something the backend sends a device cloud-to-device, effective at `effectiveAt` on the device that receives it:
 * a trust-bundle update (authorities to add and remove), or a certificate with its key (server push).
 */
export type Delivery =
  | { kind: 'trust-bundle'; updateId: string; deviceId: string; effectiveAt: number; add: string[]; remove: string[] }
  | { kind: 'certificate'; updateId: string; deviceId: string; effectiveAt: number };

export function planFleet(scenario: Scenario, options: { seed: number; devices?: number | undefined }): FleetPlan {
  const count = options.devices ?? scenario.fleet.devices;
  const seed = options.seed;
  const cohortOf = assignCohorts(scenario.fleet.cohorts, count, new SeededRandom(seed, 'cohorts'));
  const width = Math.max(5, String(count - 1).length);
  const devices = withIdentities(
    scenario,
    cohortOf.map((cohort, index) => ({ index, id: `device-${String(index).padStart(width, '0')}`, cohort })),
  );
  const cohortIndex = new Map(scenario.fleet.cohorts.map((c, i) => [c.name, i]));
  const inCohorts = (names: string[] | undefined) => {
    if (!names) return devices;
    const wanted = new Set(names.map((n) => cohortIndex.get(n)));
    return devices.filter((d) => wanted.has(d.cohort));
  };

  const brokerEvents: BrokerEvent[] = [];
  const deliveries: Delivery[] = [];
  scenario.events.forEach((event, eventIndex) => {
    switch (event.type) {
      case 'server-certificate':
        brokerEvents.push({ at: event.at, kind: 'server-certificate', use: event.use });
        break;
      case 'broker-restart':
        brokerEvents.push({ at: event.at, kind: 'restart', downFor: event.downFor });
        break;
      case 'broker-device-authorities':
        brokerEvents.push({ at: event.at, kind: 'device-authorities', add: event.add, remove: event.remove });
        break;
      case 'revoke':
        if (event.authority !== undefined) {
          brokerEvents.push({ at: event.at, kind: 'revoke-authority', authority: event.authority });
        } else if (event.devices) {
          const chosen = pickShare(inCohorts(event.devices.cohorts), event.devices.share, new SeededRandom(seed, `event-${eventIndex}`));
          brokerEvents.push({ at: event.at, kind: 'revoke-devices', deviceIds: chosen.map((d) => d.id) });
        }
        break;
      case 'trust-rollout': {
        const random = new SeededRandom(seed, `event-${eventIndex}`);
        for (const device of pickShare(inCohorts(event.cohorts), event.share, random)) {
          deliveries.push({
            kind: 'trust-bundle',
            updateId: `rollout-${eventIndex}`,
            deviceId: device.id,
            effectiveAt: Math.floor(event.at + random.next() * event.over),
            add: event.add,
            remove: event.remove,
          });
        }
        break;
      }
      case 'push-certificates': {
        const random = new SeededRandom(seed, `event-${eventIndex}`);
        for (const device of pickShare(inCohorts(event.cohorts), event.share, random)) {
          deliveries.push({
            kind: 'certificate',
            updateId: `push-${eventIndex}-${device.id}`,
            deviceId: device.id,
            effectiveAt: Math.floor(event.at + random.next() * event.over),
          });
        }
        break;
      }
    }
  });
  const faults = planFaults(scenario);
  for (const f of faults) {
    const cut = f.kind === 'partition' ? devices.filter((d) => f.cohorts?.includes(d.cohort)).map((d) => d.clientId) : undefined;
    // "device-3" and "device-00003" name the same device: the plan pads ids to the fleet's width.
    const kill = f.kind === 'process-kill' ? devices.find((d) => d.index === Number(f.device?.slice('device-'.length)))?.id : undefined;
    if (kill !== undefined) f.device = kill;
    brokerEvents.push({ at: f.from, kind: 'fault-start', fault: f.index, clientIds: cut && [...new Set(cut)], kill });
    if (f.kind !== 'process-kill') brokerEvents.push({ at: f.to, kind: 'fault-end', fault: f.index });
  }
  // Stable: at one instant, scenario events before faults, and a fault's end before the next one's start.
  brokerEvents.sort((a, b) => a.at - b.at || faultOrder(a) - faultOrder(b));
  deliveries.sort((a, b) => a.effectiveAt - b.effectiveAt || a.deviceId.localeCompare(b.deviceId));
  const boundaries = [...new Set(brokerEvents.map((e) => e.at))].sort((a, b) => a - b);
  return { scenario, seed, devices, brokerEvents, deliveries, faults, boundaries };
}

function faultOrder(event: BrokerEvent): number {
  return event.kind === 'fault-end' ? 1 : event.kind === 'fault-start' ? 2 : 0;
}

/**
 * Client ids and shared credentials from each cohort's `identity`: with `sharedBy: N` every run of N devices of the
 * cohort (in fleet order) carries the first one's certificate, key and so client id; `clientId` names one client id
 * for the whole cohort.
 */
function withIdentities(scenario: Scenario, devices: { index: number; id: string; cohort: number }[]): PlannedDevice[] {
  const seen = scenario.fleet.cohorts.map(() => 0);
  const leaders = scenario.fleet.cohorts.map(() => '');
  return devices.map((d) => {
    const identity = scenario.fleet.cohorts[d.cohort]?.identity ?? { sharedBy: 1 };
    const position = seen[d.cohort] ?? 0;
    seen[d.cohort] = position + 1;
    if (position % identity.sharedBy === 0) leaders[d.cohort] = d.id;
    const credentialsOf = leaders[d.cohort] ?? d.id;
    return { ...d, credentialsOf, clientId: identity.clientId ?? credentialsOf };
  });
}

/** Exact cohort sizes by largest remainder, then a seeded shuffle so cohorts interleave across shards. */
export function assignCohorts(cohorts: readonly ScenarioCohort[], count: number, random: SeededRandom): number[] {
  // Shares are checked to add up to 1 within 1e-6; normalise so the sizes add up to the fleet exactly.
  const shareSum = cohorts.reduce((sum, c) => sum + c.share, 0);
  const exact = cohorts.map((c) => (c.share / shareSum) * count);
  const sizes = exact.map(Math.floor);
  const remainders = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  let missing = count - sizes.reduce((a, b) => a + b, 0);
  for (const { index } of remainders) {
    if (missing <= 0) break;
    sizes[index] = (sizes[index] ?? 0) + 1;
    missing -= 1;
  }
  const labels = sizes.flatMap((size, cohort) => Array.from({ length: size }, () => cohort));
  shuffle(labels, random);
  return labels;
}

/** round(share * n) members chosen by a seeded shuffle, returned in their original order. */
function pickShare<T extends { index: number }>(items: readonly T[], share: number, random: SeededRandom): T[] {
  const order = items.map((_, i) => i);
  shuffle(order, random);
  const chosen = new Set(order.slice(0, Math.round(share * items.length)));
  return items.filter((_, i) => chosen.has(i));
}

function shuffle<T>(items: T[], random: SeededRandom): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random.next() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
