import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A run folder as a 10,000-device run would leave it, grown from a real small run: the real availability, activity,
 * markers, latency and audits, with the unrecovered list (the one part that grows with the fleet) cycled through
 * the small run's entries under new device ids. For the report's size test and its open-time bench.
 */
export function growRunFolder(smallRun: string, into: string, devices = 10_000): string {
  const summary = JSON.parse(readFileSync(join(smallRun, 'summary.json'), 'utf8')) as {
    devices: number;
    unrecovered: { devices: number; byCause: Record<string, number>; list: { device: string; cohort: string; cause: string; since: string }[] };
  };
  const manifest = JSON.parse(readFileSync(join(smallRun, 'manifest.json'), 'utf8')) as { devices: number };
  const real = summary.unrecovered.list;
  if (real.length === 0) throw new Error(`${smallRun}: no unrecovered device to grow the list from`);
  // As sim/plan/fleet-plan.ts names devices: at least five digits.
  const digits = Math.max(5, String(devices - 1).length);
  const list = Array.from({ length: devices }, (_, i) => ({ ...(real[i % real.length] as (typeof real)[number]), device: `device-${String(i).padStart(digits, '0')}` }));
  const byCause: Record<string, number> = {};
  for (const u of list) byCause[u.cause] = (byCause[u.cause] ?? 0) + 1;
  const grown = { ...summary, devices, unrecovered: { devices, byCause, list } };
  mkdirSync(into, { recursive: true });
  writeFileSync(join(into, 'summary.json'), `${JSON.stringify(grown, null, 2)}\n`);
  writeFileSync(join(into, 'manifest.json'), `${JSON.stringify({ ...manifest, devices }, null, 2)}\n`);
  copyFileSync(join(smallRun, 'events.ndjson'), join(into, 'events.ndjson'));
  return into;
}
