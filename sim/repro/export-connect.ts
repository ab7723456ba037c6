import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectTrace, FleetEvent } from '../events/fleet-event.js';
import { opensslPolicyCheck } from './openssl-policy.js';

type TracedConnect = Extract<FleetEvent, { type: 'device.connect' }> & { trace: ConnectTrace };

/**
 * One connect of a replayed device as files: the leaf and chain the broker presented, the device's anchors, the
 * path certfleet chose, certfleet's verdict, and verify.sh with the `openssl verify -attime` commands that check it.
 * OpenSSL 3 builds trusted-first and enforces anchor expiry; for other device policies the second command checks
 * the path the device chose, anchored where the device anchored it, and the third is the device's policy as openssl
 * models it (sim/repro/openssl-policy.ts), the one `certfleet repro --check` runs.
 */
export function exportConnect(folder: string, event: TracedConnect): void {
  mkdirSync(folder, { recursive: true });
  const { trace } = event;
  const write = (name: string, pems: readonly string[]) => {
    if (pems.length > 0) writeFileSync(join(folder, name), pems.join(''));
    return pems.length > 0;
  };
  write('leaf.pem', trace.presented.slice(0, 1));
  const intermediates = write('presented-intermediates.pem', trace.presented.slice(1));
  write('anchors.pem', trace.anchors);
  const pathIntermediates = write('path-intermediates.pem', trace.path.slice(1, -1));
  const pathAnchor = trace.path.length > 1 && write('path-anchor.pem', trace.path.slice(-1));
  const at = Math.floor(trace.clockReading / 1000);
  const hostname = /^\d{1,3}(\.\d{1,3}){3}$/.test(trace.serverName) ? `-verify_ip ${trace.serverName}` : `-verify_hostname ${trace.serverName}`;
  const common = `-attime ${at} -purpose sslserver ${hostname}`;
  const asPresented = `openssl verify ${common} -CAfile anchors.pem${intermediates ? ' -untrusted presented-intermediates.pem' : ''} leaf.pem`;
  const asBuilt = `openssl verify ${common} -CAfile path-anchor.pem${pathIntermediates ? ' -untrusted path-intermediates.pem' : ''} leaf.pem`;
  const lines = [
    '#!/bin/sh',
    `# ${event.device} at ${new Date(event.t).toISOString()} (true time); its clock read ${new Date(trace.clockReading).toISOString()}.`,
    `# certfleet: ${event.cause}${event.certificateCause ? ` (the certificate check alone: ${event.certificateCause})` : ''}` +
      `${event.failed ? `, decided by "${event.failed}"` : ''}; policy ${trace.pathBuilding}, anchor expiry ${trace.anchorExpiry}.`,
    'cd "$(dirname "$0")"',
    '# 1. The chain as presented, against every anchor the device held (OpenSSL: trusted-first, anchor expiry enforced):',
    asPresented,
  ];
  if (pathAnchor) lines.push('# 2. The path the device built, anchored where it anchored it:', asBuilt);
  const policy = opensslPolicyCheck(trace, common, { asPresented, asBuilt });
  for (const [name, pems] of Object.entries(policy.files)) write(name, pems);
  // The last command is the device's policy as openssl models it: `certfleet repro --check` runs it.
  lines.push(`# 3. This device's policy as openssl models it (${policy.note}):`, policy.command);
  writeFileSync(join(folder, 'verify.sh'), `${lines.join('\n')}\n`);
  chmodSync(join(folder, 'verify.sh'), 0o755);
  writeFileSync(
    join(folder, 'verdict.json'),
    `${JSON.stringify(
      {
        device: event.device,
        time: new Date(event.t).toISOString(),
        clockReading: new Date(trace.clockReading).toISOString(),
        cause: event.cause,
        side: event.side,
        certificateCause: event.certificateCause ?? event.cause,
        failed: event.failed,
        path: event.path,
        pathBuilding: trace.pathBuilding,
        anchorExpiry: trace.anchorExpiry,
        serverName: trace.serverName,
        openssl: { command: policy.command, note: policy.note },
      },
      null,
      2,
    )}\n`,
  );
}
