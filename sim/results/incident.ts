/**
 * An incident of a run: a stretch of simulated time in which devices started failing for one cause, and what became of
 * them. A run's summary lists every incident in order of start (`summary.json` `incidents`); the headline, summary.md
 * and the report tell each, and the report zooms its charts around each start.
 */
export interface Incident {
  /** The first failure of this cause in the stretch (ISO time). */
  start: string;
  /** "judge:cause", such as "device:expired_on_chosen_path" (sim/causes.ts). */
  cause: string;
  /** Distinct devices that failed with this cause in the stretch: what ranks causes. */
  devicesAffected: number;
  /** Failed connect attempts with this cause in the stretch: beside the devices, never instead of them. */
  attempts: number;
  /** Devices hit per cohort name. */
  cohorts: Record<string, number>;
  /** Ids of the devices hit, at most 20, the first to fail first. */
  devices: string[];
  /** The lowest fleet availability sample from the start until the incident ended (or the run did). */
  lowest: { t: string; connected: number };
  /** Of the devices hit: how many connected again afterwards, and when the last of them did (null: some never did). */
  recovered: { devices: number; lastAt: string | null };
  /** When the last failure of this cause in the stretch happened. */
  lastFailureAt: string;
}

/** A scenario event or certificate expiry (a timeline marker) in whose wake no device failed. */
export interface QuietMarker {
  t: string;
  label: string;
}
