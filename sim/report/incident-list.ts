import type { Incident, QuietMarker } from '../results/incident.js';
import { causeText, recoveredText } from './headline.js';
import { escapeHtml } from './html-page.js';
import { formatCount, formatInstant, formatShare, plural } from './report-format.js';

/**
 * The report's list of incidents under its headline, one item per incident in order of start, and the markers that
 * caused nothing. Summaries written before incidents existed have neither: nothing is shown.
 */
export function incidentList(summary: { complete: boolean; devices: number; incidents?: readonly Incident[] | undefined; quietMarkers?: readonly QuietMarker[] | undefined }): string {
  const h = escapeHtml;
  const share = (n: number) => formatShare(summary.devices === 0 ? 0 : n / summary.devices);
  const items = (summary.incidents ?? []).map((incident) => {
    const causes = incident.causes
      .map((c) => `<span class="mono">${h(c.cause)}</span> ${plural(c.devicesAffected, 'device')} (${share(c.devicesAffected)}), ${plural(c.attempts, 'attempt')}`)
      .join('; ');
    const cohorts = Object.entries(incident.cohorts)
      .sort(([, a], [, b]) => b - a)
      .map(([name, n]) => `${h(name)} ${formatCount(n)}`)
      .join(', ');
    return (
      `<li><b>${formatInstant(incident.start)}</b>: ${plural(incident.devicesHit, 'device')} (${share(incident.devicesHit)}) started failing: ` +
      `${h(causeText(incident.cause))}. Causes by devices: ${causes}. Cohorts: ${cohorts}. ` +
      `Lowest availability ${formatShare(incident.lowest.connected)} at ${formatInstant(incident.lowest.t)}; ${h(recoveredText(summary, incident))}.</li>`
    );
  });
  const quiet = (summary.quietMarkers ?? []).map((m) => `${formatInstant(m.t)} ${h(m.label)}`);
  const list = items.length > 0 ? `<ol class="incidents" id="incidents">${items.join('')}</ol>` : '';
  const nothing = quiet.length > 0 ? `<p class="muted" id="quiet-markers">Caused nothing: ${quiet.join('; ')}.</p>` : '';
  return `${list}${nothing}`;
}
