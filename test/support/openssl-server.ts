/**
 * A TLS server that judges client certificates as a real broker's OpenSSL does: `openssl s_server -Verify
 * -verify_return_error`, which refuses with the alert OpenSSL's ssl_verify_alarm_type picks (certificate_expired,
 * unknown_ca, ...). Node's own TLS server cannot stand in: its verify callback accepts every certificate and Node
 * closes the socket afterwards, without an alert. The server judges at `attime` (`-attime`), never the host clock.
 * It speaks no MQTT: a client it admits waits for a CONNACK that never comes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslServerOptions {
  /** Server certificate (and chain) and key, PEM. */
  certificatePem: string;
  keyPem: string;
  /** The authorities client certificates must chain to, PEM. */
  clientCaPem: string;
  /** CRLs (PEM) checked for the client leaf (`-crl_check`). */
  crlPem?: string | undefined;
  /** True time (ms) the server judges client certificates at. */
  attime: number;
  version: 'TLSv1.2' | 'TLSv1.3';
}

export interface OpensslServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startOpensslServer(options: OpensslServerOptions): Promise<OpensslServer> {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-s-server-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const args = [
    's_server',
    '-accept',
    '127.0.0.1:0',
    '-cert',
    file('server.pem', options.certificatePem),
    '-key',
    file('server.key', options.keyPem),
    '-CAfile',
    file('client-ca.pem', options.clientCaPem),
    // -Verify: a client certificate is required; -verify_return_error: a failed verification ends the handshake.
    '-Verify',
    '4',
    '-verify_return_error',
    '-attime',
    String(Math.floor(options.attime / 1000)),
    options.version === 'TLSv1.2' ? '-tls1_2' : '-tls1_3',
    ...(options.crlPem ? ['-CRL', file('crl.pem', options.crlPem), '-crl_check'] : []),
  ];
  const child: ChildProcess = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`openssl s_server exited with ${code}: ${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      // s_server prints the address it bound: "ACCEPT 127.0.0.1:41237".
      const match = /ACCEPT \S+:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  });
  child.removeAllListeners('exit');
  return {
    host: '127.0.0.1',
    port,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
