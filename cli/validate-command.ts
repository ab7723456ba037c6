import { formatDuration } from '../sim/time/duration.js';
import { EXIT } from './exit-codes.js';
import { loadOrExplain } from './load-or-explain.js';

export function validateCommand(file: string): number {
  const loaded = loadOrExplain(file);
  if (!loaded) return EXIT.invalidInput;
  const { scenario } = loaded;
  const iso = (t: number) => new Date(t).toISOString();
  const lines = [
    `${file}: valid scenario "${scenario.name}"`,
    `  timeline ${iso(scenario.timeline.start)} to ${iso(scenario.timeline.end)}, step ${formatDuration(scenario.timeline.step)}`,
    `  ${scenario.pki.authorities.length} authorities, ${scenario.pki.serverCertificates.length} server certificates, device certificates for ${formatDuration(scenario.pki.deviceCertificates.lifetime)}`,
    `  ${scenario.fleet.devices} devices in ${scenario.fleet.cohorts.length} cohorts: ${scenario.fleet.cohorts.map((c) => `${c.name} ${(c.share * 100).toFixed(1)}%`).join(', ')}`,
    `  ${scenario.events.length} events${scenario.events.length ? `: ${scenario.events.map((e) => `${e.type} at ${iso(e.at)}`).join('; ')}` : ''}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const warning of loaded.warnings) process.stderr.write(`certfleet: warning: ${file}: ${warning}\n`);
  return EXIT.ok;
}
