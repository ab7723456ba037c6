import type { BrokerJson } from '../sim/run/broker-json.js';

/** What `certfleet broker` prints on stdout once it listens: where everything is, and how to move its clock. */
export function describeStandaloneBroker(info: BrokerJson, dir: string): string {
  const ids = info.identities.map((d) => d.id);
  const shown = ids.length > 3 ? `${ids.slice(0, 3).join(', ')}, ...` : ids.join(', ');
  const claims =
    info.timeClaims === 'ignore'
      ? 'ignored: every client is judged at the broker\'s clock, whatever its CONNECT user name or a request\'s "t" says'
      : 'accepted (--accept-time-claims): a "certfleet-t=" user name or a request\'s "t" inside the current tick is believed';
  const lines = [
    `certfleet broker: ${info.scenario.name} (seed ${info.scenario.seed}) on ${info.broker.target} ${info.broker.version}`,
    `  address      ${info.host}:${info.port}  (dial ${info.host}; the server certificate names ${info.serverName}: check it, and send it in SNI)`,
    ...(info.listen === info.host ? [] : [`  listening on ${info.listen}:${info.port}  (devices on other hosts dial this host's address)`]),
    `  clock        ${info.clock.time}, ${info.clock.speed === 'frozen' ? 'frozen until moved' : `running at ${info.clock.speed}`}`,
    `  move it      certfleet clock ${dir} --advance 1h   (or --at TIME, --speed RATE)`,
    `               ${info.clock.usage[1] ?? ''}`,
    `  clock file   ${info.clock.file}`,
    `  follow it    ${info.clock.followWith} <your client>`,
    `  time claims  ${claims}`,
    `  CA           ${info.ca}`,
    `  devices      ${info.devices}  (${ids.length}: ${shown}; key.pem, cert.pem, chain.pem, anchors.pem, device.p12, commands.sh each)`,
    `  decisions    ${info.decisions}`,
    `  broker.json  ${dir}/broker.json`,
    'Ctrl-C stops it; the folder stays.',
  ];
  return `${lines.join('\n')}\n`;
}
