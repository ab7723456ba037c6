import { describe, expect, it } from 'vitest';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { MqttFrameReader } from '../../broker/listener/mqtt-frame-reader.js';
import { connectionCapFor } from '../../broker/listener/open-file-limit.js';
import { runSummarySchema } from '../../sim/results/summary-schema.js';
import { renderSummaryMarkdown } from '../../sim/results/summary-markdown.js';
import { buildScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { emptyConnectionCuts, type ConnectionCutReason } from '../../sim/stats/broker-stats.js';
import type { JudgedRunSummary } from '../../sim/thresholds/evaluate-thresholds.js';
import { minimalSummary } from '../report/minimal-run.js';
import { TINY_SCENARIO, tinyScenario } from '../support/tiny-scenario.js';

/** The tiny scenario with a broker.connections section. */
function withConnections(yaml: string): string {
  return TINY_SCENARIO.replace('  deviceAuthorities: [device-root]\n', `  deviceAuthorities: [device-root]\n  connections:\n${yaml}`);
}

describe('reading MQTT fixed headers as bytes arrive', () => {
  it('lets packets under the limit through, however the stream is split', () => {
    const reader = new MqttFrameReader(200);
    // PUBLISH of 130 bytes (remaining length 0x82 0x01 = 130), then PINGREQ; split inside the length and the body.
    const stream = Buffer.concat([Buffer.from([0x30, 0x82, 0x01]), Buffer.alloc(130, 0x61), Buffer.from([0xc0, 0x00])]);
    for (const piece of [stream.subarray(0, 2), stream.subarray(2, 50), stream.subarray(50)]) expect(reader.read(piece)).toEqual({ ok: true });
  });

  it('refuses a packet as soon as its header announces more than the limit, before its body', () => {
    const reader = new MqttFrameReader(16 * 1024);
    expect(reader.read(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]))).toEqual({ ok: false, reason: 'too_large', announced: 268_435_460 });
  });

  it('judges the size of each packet against the limit in force when its header arrives', () => {
    const reader = new MqttFrameReader(100);
    expect(reader.read(Buffer.from([0x10, 0x10, ...Buffer.alloc(16)]))).toEqual({ ok: true });
    reader.setLimit(1000);
    // 491 bytes: over the old limit, under the new one; then 1003 bytes, over both.
    expect(reader.read(Buffer.from([0x30, 0xe8, 0x03, ...Buffer.alloc(488)]))).toEqual({ ok: true });
    expect(reader.read(Buffer.from([0x30, 0xe8, 0x07]))).toEqual({ ok: false, reason: 'too_large', announced: 1003 });
  });

  it('calls a remaining length of five bytes malformed (MQTT 3.1.1 2.2.3)', () => {
    expect(new MqttFrameReader(1 << 20).read(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('the connection limits of a scenario', () => {
  it('default to limits a legitimate fleet never meets, with no per-source limit', () => {
    const config = brokerConfigFrom(tinyScenario(), buildScenarioPki(tinyScenario(), 7), 7);
    expect(config.connections).toEqual({
      handshakeTimeoutMs: 30_000,
      connectTimeoutMs: 30_000,
      maxPacketBeforeConnect: 16_384,
      maxPacketAfterConnect: 262_144,
      connectionsPerSource: undefined,
    });
  });

  it('are read from broker.connections', () => {
    const scenario = tinyScenario(withConnections('    handshakeTimeout: 5s\n    connectTimeout: 10s\n    maxPacketBeforeConnect: 2048\n    maxPacketAfterConnect: 65536\n    perSource: 100\n'));
    expect(brokerConfigFrom(scenario, buildScenarioPki(scenario, 7), 7).connections).toEqual({
      handshakeTimeoutMs: 5_000,
      connectTimeoutMs: 10_000,
      maxPacketBeforeConnect: 2048,
      maxPacketAfterConnect: 65_536,
      connectionsPerSource: 100,
    });
  });

  it('refuse a packet limit too small for a CONNECT and a timeout beyond an hour, naming each field', () => {
    expect(() => tinyScenario(withConnections('    maxPacketBeforeConnect: 10\n    handshakeTimeout: 2d\n'))).toThrow(
      /broker\.connections\.handshakeTimeout[\s\S]*broker\.connections\.maxPacketBeforeConnect|broker\.connections\.maxPacketBeforeConnect[\s\S]*broker\.connections\.handshakeTimeout/,
    );
  });

  it('keep file descriptors for the rest of the process below the open-file limit', () => {
    expect(connectionCapFor(300)).toBe(236);
    expect(connectionCapFor(100_000)).toBe(95_000);
    expect(connectionCapFor(undefined)).toBeUndefined();
  });
});

describe('connection cuts in summary.md', () => {
  const summaryWith = (connectionsCut?: Record<ConnectionCutReason, number>) => {
    const summary = runSummarySchema.parse(minimalSummary());
    return renderSummaryMarkdown({ ...summary, broker: { ...summary.broker, ...(connectionsCut ? { connectionsCut } : {}) } } as JudgedRunSummary);
  };

  it('names the cuts by reason, file descriptors exhausted in words', () => {
    const markdown = summaryWith({ ...emptyConnectionCuts(), handshake_timeout: 3, fd_exhausted: 2 });
    expect(markdown).toContain("Connections cut off by the broker's connection limits: handshake_timeout 3, fd_exhausted 2 (file descriptors exhausted).");
  });

  it('says nothing of them when nothing was cut, or when the run predates them', () => {
    expect(summaryWith(emptyConnectionCuts())).not.toContain('Connections cut off');
    expect(summaryWith()).not.toContain('Connections cut off');
  });
});
