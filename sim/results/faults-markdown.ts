import type { FaultSummary } from './fault-tally.js';

/** summary.md's table of injected faults: what each did and how long the fleet took to recover. */
export function renderFaultsMarkdown(faults: readonly FaultSummary[]): string[] {
  if (faults.length === 0) return [];
  const lines = [
    '## Injected faults',
    '',
    '| fault | from | to | messages lost / sent | CSRs refused | CSRs delayed | connects failed | sessions dropped | devices | recovery |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const f of faults) {
    const recovery =
      f.recovery.seconds === null ? `not recovered (${f.recovery.unrecoveredDevices} of ${f.devicesAffected} devices)` : `${f.recovery.seconds} s after`;
    lines.push(
      `| ${f.label.replace(/\|/g, '\\|')} | ${f.from} | ${f.to} | ${f.messages.lost} / ${f.messages.sent} | ${f.requests.refused} | ${f.requests.delayed} | ` +
        `${f.connects.failed} | ${f.sessionsDropped} | ${f.devicesAffected} | ${recovery} |`,
    );
  }
  lines.push('');
  return lines;
}
