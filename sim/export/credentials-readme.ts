import { PKCS12_ENCRYPTION } from './pkcs12.js';

/** DIR/devices/README.md: what each exported file is and how a client uses it. */
export function devicesReadme(about: { password: string; broker: { host: string; port: number; serverName: string; clockFile: string } }): string {
  const { broker } = about;
  return `# Device credentials

One folder per device identity (\`index.json\` lists them: id, cohort, MQTT client id, folder, serial number and
validity of the certificate). These are test credentials made by certfleet for this broker session.

| file | what it is |
| --- | --- |
| \`key.pem\` | the device's private key, PKCS#8 PEM (mode 0600) |
| \`cert.pem\` | the device certificate (the leaf); its CN is the MQTT client id the broker requires |
| \`chain.pem\` | the intermediate certificates sent after the leaf (may be empty) |
| \`fullchain.pem\` | \`cert.pem\` then \`chain.pem\`: what \`mosquitto_pub --cert\` and most TLS stacks take |
| \`device.p12\` | the key, the leaf and the chain as PKCS#12, password **\`${about.password}\`** (mode 0600) |
| \`anchors.pem\` | the roots the device's cohort trusts for the broker's server chain: the CA file to give a client |
| \`bootstrap/\` | the claim (birth) identity in the same forms, where the scenario gives devices one |
| \`commands.sh\` | ready \`mosquitto_sub\`, \`mosquitto_pub\`, \`mosquitto_rr\` and \`openssl s_client\` lines, each also at the broker's clock, and \`rotate\`: a new key and CSR (\`openssl req\`) exchanged for a certificate (new-*.pem) |

\`device.p12\`: ${PKCS12_ENCRYPTION}. OpenSSL 3 reads it without \`-legacy\`
(\`openssl pkcs12 -in device.p12 -passin pass:${about.password} -nodes\`), and so do Node
(\`tls.createSecureContext({ pfx, passphrase: '${about.password}' })\`), Java, Windows, macOS and Android.

## Connecting

The broker listens on ${broker.host}:${broker.port}; its server certificate names **${broker.serverName}**. Send that
name in SNI and check the certificate against it (\`openssl s_client -servername ${broker.serverName}
-verify_hostname ${broker.serverName}\`). \`mosquitto_pub\`/\`mosquitto_sub\` cannot dial one address and check
another name: \`commands.sh\` gives them \`--insecure\`, which skips only the host-name check (the chain is still
verified against \`anchors.pem\`); or map the name to ${broker.host} in /etc/hosts and dial the name.

A device may publish only its requests under \`devices/<client id>/\` and subscribe only under that prefix (AWS IoT's
\`\${iot:ClientId}\` policy pattern); the AWS IoT \`$aws/...\` topics it uses are its own.

## The client's clock

The broker judges a device certificate at its simulated clock; the client's TLS stack judges the broker's chain at
its own host clock. To have the client live at the broker's time, run it under libfaketime reading the broker's
clock file (\`${broker.clockFile}\`, rewritten whenever the broker's clock moves); libfaketime.so.1 is where your
distribution installs it (Debian's package \`faketime\`: /usr/lib/<arch>/faketime/; commands.sh looks for it there):

    TZ=UTC LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 \\
      FAKETIME_TIMESTAMP_FILE=${broker.clockFile} FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 <client ...>

(\`FAKETIME_NO_CACHE=1\` re-reads the file on every clock read; \`FAKETIME_DONT_FAKE_MONOTONIC=1\` keeps MQTT keepalive
timers on real time; \`TZ=UTC\` because libfaketime reads the file's time as local time; an inherited \`FAKETIME\`
variable would win over the file.) \`./commands.sh sub-at-broker-clock\`, \`pub-at-broker-clock\` and
\`s_client-at-broker-clock\` do this; \`openssl s_client\` can instead be given \`-attime <seconds>\`.
`;
}
