import { CAUSES, isCause } from '../causes.js';
import { recoveredText } from '../report/headline.js';
import { formatInstant, formatShare, plural } from '../report/report-format.js';
import type { Incident, QuietMarker } from './incident.js';

/**
 * summary.md's "Incidents" section: one entry per incident in order of start (its causes ranked by devices affected
 * with attempts beside, the cohorts and devices hit, the lowest availability and the recovery), then the markers that
 * caused nothing.
 */
export function renderIncidentsMarkdown(summary: {
  complete: boolean;
  devices: number;
  /** Absent from summaries written before incidents existed. */
  incidents?: readonly Incident[] | undefined;
  quietMarkers?: readonly QuietMarker[] | undefined;
}): string[] {
  const incidents = summary.incidents ?? [];
  const quietMarkers = summary.quietMarkers ?? [];
  const lines = ['## Incidents', ''];
  const share = (n: number) => formatShare(summary.devices === 0 ? 0 : n / summary.devices);
  if (summary.incidents === undefined) lines.push('Not recorded: this summary was written before incidents were.', '');
  else if (incidents.length === 0) lines.push('No device failed to connect: no incident.', '');
  incidents.forEach((incident, i) => {
    lines.push(`### ${i + 1}. From ${formatInstant(incident.start)}: ${incident.cause}`, '');
    lines.push(`- Devices hit: ${plural(incident.devicesHit, 'device')} (${share(incident.devicesHit)} of the fleet), by cause:`);
    for (const c of incident.causes) {
      lines.push(`  - \`${c.cause}\`: ${plural(c.devicesAffected, 'device')} (${share(c.devicesAffected)}), ${plural(c.attempts, 'attempt')}: ${meaning(c.cause)}`);
    }
    const cohorts = Object.entries(incident.cohorts).sort(([, a], [, b]) => b - a);
    lines.push(`- Cohorts: ${cohorts.map(([name, n]) => `${name} ${n}`).join(', ')}`);
    const more = incident.devicesHit - incident.devices.length;
    lines.push(`- Devices: ${incident.devices.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
    lines.push(`- Lowest availability: ${formatShare(incident.lowest.connected)} at ${formatInstant(incident.lowest.t)}`);
    lines.push(`- Recovered: ${incident.recovered.devices} of ${incident.devicesHit}: ${recoveredText(summary, incident)}`);
    lines.push(`- Last failure: ${formatInstant(incident.lastFailureAt)}`, '');
  });
  if (quietMarkers.length > 0) {
    lines.push('Caused nothing (no device started failing in their wake):', '');
    for (const m of quietMarkers) lines.push(`- ${formatInstant(m.t)}: ${m.label}`);
    lines.push('');
  }
  return lines;
}

function meaning(judgeCause: string): string {
  const cause = judgeCause.slice(judgeCause.indexOf(':') + 1);
  return isCause(cause) ? CAUSES[cause] : '';
}
