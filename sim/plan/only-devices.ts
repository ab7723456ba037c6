import type { FleetPlan } from './fleet-plan.js';

/** The plan restricted to some devices, with only what concerns them. */
export function onlyDevices(plan: FleetPlan, ids: readonly string[] | undefined): FleetPlan {
  if (ids === undefined) return plan;
  const keep = new Set(ids);
  return {
    ...plan,
    devices: plan.devices.filter((d) => keep.has(d.id)),
    deliveries: plan.deliveries.filter((d) => keep.has(d.deviceId)),
    brokerEvents: plan.brokerEvents.map((e) => (e.kind === 'revoke-devices' ? { ...e, deviceIds: e.deviceIds.filter((id) => keep.has(id)) } : e)),
  };
}
