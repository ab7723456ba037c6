import { deviceRequestFilters } from '../device-api/topics.js';

/**
 * commands.sh of one exported device: ready `mosquitto_sub`, `mosquitto_pub` and `openssl s_client` lines, each
 * also run under libfaketime at the broker's simulated clock, since a client's TLS stack judges the broker's chain
 * at its own host clock.
 */

export interface DeviceCommandsInput {
  id: string;
  /** The MQTT client id: the certificate's CN, which the broker requires ([MQTT-3.1.3-3], broker admission). */
  clientId: string;
  cohort: string;
  host: string;
  port: number;
  /** The name the server certificate is for, sent in SNI (RFC 6066 3) and checked (RFC 6125). */
  serverName: string;
  /** The broker's clock file (libfaketime FAKETIME_TIMESTAMP_FILE), relative to the device folder or absolute. */
  clockFile: string;
  /** chain.pem holds at least one certificate (openssl s_client's -cert_chain refuses an empty file). */
  hasChain: boolean;
}

/** Where Debian and others install libfaketime (what broker/mosquitto/mosquitto-programs.ts searches). */
const LIBFAKETIME_GLOBS = [
  '/usr/lib/*/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/lib64/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];

export function deviceCommandsScript(input: DeviceCommandsInput): string {
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(input.serverName);
  // mosquitto_sub/pub have no option to send one name and dial another: --insecure skips only the host-name check
  // (mosquitto_tls_insecure_set; the chain is still verified against --cafile), unless the dialled host is the name.
  const insecure = input.serverName === input.host ? [] : ['--insecure'];
  const mqtt = [
    `-h "$HOST" -p "$PORT"`,
    ...insecure,
    // --cert takes a chain file (SSL_CTX_use_certificate_chain_file): the leaf, then the intermediates.
    // CERT/KEY: the rotate command's new-fullchain.pem/new-key.pem once a rotation has been answered.
    '--cafile anchors.pem --cert "$CERT" --key "$KEY"',
    `-i "$CLIENT_ID" -V mqttv311`,
  ].join(' ');
  const sub = `mosquitto_sub ${mqtt} -q 1 -t "devices/$CLIENT_ID/#" -v`;
  const pub = (clock: string) => `mosquitto_pub ${mqtt} -q 1 -t "devices/$CLIENT_ID/sync/request" -m "{\\"t\\":$(${clock}date +%s%3N)}"`;
  // mosquitto_rr subscribes to the answer topic, publishes the request and waits, on one connection: no second
  // session with the same client id that could take the first one over ([MQTT-3.1.4-2]) or miss the answer. The
  // request goes with -m: Debian's mosquitto_rr 2.0 publishes an empty payload for -f and -s.
  const rr = `mosquitto_rr ${mqtt} -q 1 -t "devices/$CLIENT_ID/rotation/csr" -e "devices/$CLIENT_ID/rotation/cert" -m "$REQUEST" -W "\${RR_TIMEOUT:-30}"`;
  // sync: the pub request, its answer awaited the same way.
  const sync = (clock: string) =>
    `mosquitto_rr ${mqtt} -q 1 -t "devices/$CLIENT_ID/sync/request" -e "devices/$CLIENT_ID/sync/response" -m "{\\"t\\":$(${clock}date +%s%3N)}" -W "\${RR_TIMEOUT:-30}"`;
  const verifyName = isIp ? `-verify_ip ${input.serverName}` : `-verify_hostname ${input.serverName}`;
  const sClient = [
    'openssl s_client -connect "$HOST:$PORT"',
    `-servername ${input.serverName} ${verifyName} -verify_return_error`,
    `-cert cert.pem${input.hasChain ? ' -cert_chain chain.pem' : ''} -key key.pem -CAfile anchors.pem`,
  ].join(' ');
  const lines = [
    '#!/bin/sh',
    `# Device ${input.id} (cohort ${input.cohort}) against the certfleet broker at ${input.host}:${input.port}.`,
    '#   ./commands.sh sub|pub|s_client [more options]   at this host\'s clock',
    '#   ./commands.sh sub-at-broker-clock|pub-at-broker-clock|s_client-at-broker-clock [more options]',
    '#   ./commands.sh sync|sync-at-broker-clock   pub\'s sync request, and the answer awaited (mosquitto_rr)',
    '#   ./commands.sh rotate|rotate-at-broker-clock   a new key and CSR (openssl req), sent on the rotation topic',
    '#     with mosquitto_rr; the answer goes to stdout, the certificate to new-cert.pem, new-chain.pem and',
    '#     new-fullchain.pem with its key in new-key.pem (exit 1 and the CA\'s reason on stderr if refused).',
    '#     CSR_CN=<name> asks for another CN (the CA refuses it: subject_mismatch).',
    '#   CERT=new-fullchain.pem KEY=new-key.pem ./commands.sh pub-at-broker-clock   connects with the new certificate.',
    '# Each line below also runs as it is from this folder (after setting the variables above it).',
    '#',
    `# Host name: the broker is dialled at ${input.host}, but its server certificate names ${input.serverName}.`,
    ...(insecure.length > 0
      ? [
          '#   mosquitto_sub/pub: --insecure skips only the host-name check; the chain is still verified against',
          `#   anchors.pem. To check the name as well, map it ("${input.host} ${input.serverName}" in /etc/hosts) and`,
          `#   replace -h "$HOST" --insecure with -h ${input.serverName}.`,
        ]
      : []),
    `#   openssl s_client: -servername sends ${input.serverName} in SNI, ${verifyName.split(' ')[0]} checks it.`,
    '# Clock: the broker judges this device\'s certificate at its simulated clock, but the client judges the broker\'s',
    '#   chain at this host\'s clock. The *-at-broker-clock commands run the client under libfaketime reading the',
    '#   broker\'s clock file (rewritten whenever the broker\'s clock moves; FAKETIME_NO_CACHE=1 follows it), leaving',
    '#   the monotonic clock alone (MQTT keepalive). TZ=UTC: libfaketime reads the file\'s time as local time.',
    '# Topics: the device may subscribe under devices/<client id>/ and publish its requests there:',
    ...wrap(deviceRequestFilters().map((filter) => `devices/$CLIENT_ID/${filter}`)),
    '#   and AWS IoT\'s reserved topics, which the broker keeps to the device (AWS IoT Core, "Reserved topics"):',
    ...wrap(AWS_TOPICS),
    '# pub sends a sync request ({"t": ms}); the backend answers on devices/<id>/sync/response. Options given after',
    '#   the command are added to the line; for another topic or message, copy the line. A second client',
    '#   with the same id takes the first one\'s session over ([MQTT-3.1.4-2]): run sub with -c (persistent session)',
    '#   and stop it before pub to receive the answer when sub reconnects with -c, or use sync (mosquitto_rr), which',
    '#   subscribes, publishes and waits for the answer on one connection.',
    'set -eu',
    'cd "$(dirname "$0")"',
    `HOST=${input.host}`,
    `PORT=${input.port}`,
    `CLIENT_ID=${shellWord(input.clientId)}`,
    `CLOCK_FILE=${shellWord(input.clockFile)}`,
    'CERT=${CERT:-fullchain.pem}',
    'KEY=${KEY:-key.pem}',
    'LIBFAKETIME=${LIBFAKETIME:-}',
    `for f in ${LIBFAKETIME_GLOBS.join(' ')}; do`,
    '  if [ -z "$LIBFAKETIME" ] && [ -r "$f" ]; then LIBFAKETIME=$f; fi',
    'done',
    'at_broker_clock() {',
    '  if [ -z "$LIBFAKETIME" ]; then echo "libfaketime.so.1 not found: install faketime (apt-get install faketime) or set LIBFAKETIME" >&2; exit 2; fi',
    '  # FAKETIME is unset: libfaketime prefers it to the timestamp file.',
    '  env -u FAKETIME TZ=UTC LD_PRELOAD="$LIBFAKETIME" FAKETIME_TIMESTAMP_FILE="$CLOCK_FILE" FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 "$@"',
    '}',
    ...ROTATE_FUNCTION,
    'command=${1:-help}',
    '[ $# -gt 0 ] && shift',
    'case "$command" in',
    `  sub) ${sub} "$@" ;;`,
    `  pub) ${pub('')} "$@" ;;`,
    `  s_client) ${sClient} "$@" ;;`,
    `  sub-at-broker-clock) at_broker_clock ${sub} "$@" ;;`,
    `  pub-at-broker-clock) at_broker_clock ${pub('at_broker_clock ')} "$@" ;;`,
    `  s_client-at-broker-clock) at_broker_clock ${sClient} "$@" ;;`,
    `  sync) ${sync('')} "$@" ;;`,
    `  sync-at-broker-clock) at_broker_clock ${sync('at_broker_clock ')} "$@" ;;`,
    `  rotate) new_csr; ${rr} "$@" > new-answer.json; take_answer ;;`,
    `  rotate-at-broker-clock) new_csr; at_broker_clock ${rr} "$@" > new-answer.json; take_answer ;;`,
    '  *) echo "usage: $0 sub|pub|sync|s_client|rotate|sub-at-broker-clock|pub-at-broker-clock|sync-at-broker-clock|s_client-at-broker-clock|rotate-at-broker-clock [options]" >&2; exit 2 ;;',
    'esac',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The rotate command's steps. new_csr: a P-256 key and a PEM CSR for CN = the client id (or CSR_CN), wrapped in the
 * rotation request `{"csr": "<PEM>"}` (no t: served at the broker's clock). take_answer: the RotationResponse read
 * with node (what a machine with certfleet installed has), the certificate written out, or the CA's reason.
 */
const ROTATE_FUNCTION = [
  'new_csr() {',
  '  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout new-key.pem.part -subj "/CN=${CSR_CN:-$CLIENT_ID}" -out new-csr.pem 2>/dev/null',
  `  REQUEST=$(node -e 'process.stdout.write(JSON.stringify({ csr: require("fs").readFileSync("new-csr.pem", "utf8") }))')`,
  '}',
  'take_answer() {',
  '  cat new-answer.json',
  `  node -e '`,
  '    const fs = require("fs");',
  '    const answer = JSON.parse(fs.readFileSync("new-answer.json", "utf8"));',
  '    if (!answer.ok) { console.error(`rotation refused: ${answer.reason}${answer.detail ? ` (${answer.detail})` : ""}`); process.exit(1); }',
  '    fs.writeFileSync("new-cert.pem", answer.certificate);',
  '    fs.writeFileSync("new-chain.pem", answer.chain.join(""));',
  '    fs.writeFileSync("new-fullchain.pem", answer.certificate + answer.chain.join(""));',
  `  ' || { rm -f new-key.pem.part; exit 1; }`,
  '  mv new-key.pem.part new-key.pem',
  '  echo "new-cert.pem new-chain.pem new-fullchain.pem new-key.pem: $(openssl x509 -noout -serial -enddate -in new-cert.pem | tr \'\\n\' \' \')" >&2',
  '}',
];

/**
 * The AWS IoT MQTT API a device agent uses: fleet provisioning (CreateCertificateFromCsr, CreateKeysAndCertificate,
 * RegisterThing) and the Jobs API, each answered on /accepted and /rejected.
 * https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html
 * https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html
 */
const AWS_TOPICS = [
  '$aws/certificates/create-from-csr/json',
  '$aws/certificates/create/json',
  '$aws/provisioning-templates/<template>/provision/json',
  '$aws/things/$CLIENT_ID/jobs/notify-next',
  '$aws/things/$CLIENT_ID/jobs/start-next',
  '$aws/things/$CLIENT_ID/jobs/<job id>/get',
  '$aws/things/$CLIENT_ID/jobs/<job id>/update',
];

/** Comment lines listing `items`, one to a line. */
function wrap(items: readonly string[]): string[] {
  const lines: string[] = [];
  for (const item of items) lines.push(`#     ${item}`);
  return lines;
}

/** A word the shell reads back as exactly `text`. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
