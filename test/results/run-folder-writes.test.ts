import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { writeFileAtomically } from '../../sim/results/atomic-file.js';
import { EventLog } from '../../sim/results/event-log.js';
import { cutAtLastCompleteLine } from '../../sim/results/ndjson-tail.js';
import { prepareRunFolder, RunFolderError } from '../../sim/results/run-folder.js';
import { OutputWriteError } from '../../sim/results/write-failure.js';

const work = mkdtempSync(join(tmpdir(), 'certfleet-run-folder-'));
const event = (t: number): FleetEvent => ({ type: 'device.connect', t, device: 'device-00001', cause: 'ok' }) as FleetEvent;

describe('the run folder', () => {
  it('is created with its missing parents, and the write probe leaves nothing behind', async () => {
    const dir = join(work, 'new', 'nested', 'run');
    await prepareRunFolder(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('may be an existing empty folder', async () => {
    const dir = join(work, 'empty');
    mkdirSync(dir);
    await expect(prepareRunFolder(dir)).resolves.toBeUndefined();
  });

  it('may not be a folder that holds a file, and the error names the path and what is wrong', async () => {
    const dir = join(work, 'used');
    mkdirSync(dir);
    writeFileSync(join(dir, 'events.ndjson'), '');
    const refusal = await prepareRunFolder(dir).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RunFolderError);
    expect((refusal as RunFolderError).path).toBe(dir);
    expect((refusal as RunFolderError).problem).toMatch(/^the folder is not empty \(events\.ndjson\)/);
  });

  it('may not lie under a file', async () => {
    writeFileSync(join(work, 'plain'), '');
    await expect(prepareRunFolder(join(work, 'plain', 'a', 'b'))).rejects.toThrow(`${join(work, 'plain')} is a file, so no folder can be made under it`);
  });
});

describe('files written whole or not at all', () => {
  it('replaces a file with the new text and leaves no temporary file', async () => {
    const dir = join(work, 'atomic');
    mkdirSync(dir);
    writeFileSync(join(dir, 'summary.json'), '{"old":true}\n');
    await writeFileAtomically(join(dir, 'summary.json'), '{"new":true}\n');
    expect(readFileSync(join(dir, 'summary.json'), 'utf8')).toBe('{"new":true}\n');
    expect(readdirSync(dir)).toEqual(['summary.json']);
  });

  it('names the file and the cause when it cannot be written, and leaves no temporary file', async () => {
    const dir = join(work, 'missing-parent');
    const failure = await writeFileAtomically(join(dir, 'summary.json'), '{}').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OutputWriteError);
    expect((failure as OutputWriteError).message).toBe(`no such file or directory writing ${join(dir, 'summary.json')}`);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('an NDJSON file cut at its last complete line', () => {
  it('loses only the torn last line', async () => {
    const file = join(work, 'torn.ndjson');
    writeFileSync(file, '{"a":1}\n{"b":2}\n{"c":');
    expect(await cutAtLastCompleteLine(file)).toBe(5);
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
  });

  it('finds the last line break more than one read back', async () => {
    const file = join(work, 'long-torn.ndjson');
    writeFileSync(file, `{"a":1}\n{"long":"${'x'.repeat(200_000)}`);
    await cutAtLastCompleteLine(file);
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n');
  });

  it('leaves a file that ends with a line break as it is, and empties one with no complete line', async () => {
    const whole = join(work, 'whole.ndjson');
    writeFileSync(whole, '{"a":1}\n');
    expect(await cutAtLastCompleteLine(whole)).toBe(0);
    expect(readFileSync(whole, 'utf8')).toBe('{"a":1}\n');
    const torn = join(work, 'all-torn.ndjson');
    writeFileSync(torn, '{"a":');
    await cutAtLastCompleteLine(torn);
    expect(readFileSync(torn, 'utf8')).toBe('');
  });
});

describe('the event log on a device that refuses writes', () => {
  it('reports one failure naming the file and the cause, and its close rejects with it instead of crashing', async () => {
    // /dev/full answers every write with ENOSPC, as a full disk does.
    const failures: OutputWriteError[] = [];
    const log = new EventLog('/dev/full', (error) => failures.push(error));
    for (let i = 0; i < 1_000; i += 1) log.write(event(i), 'steady');
    await expect(log.close()).rejects.toThrow('no space left on device writing /dev/full');
    expect(failures.map((f) => f.message)).toEqual(['no space left on device writing /dev/full']);
    expect(log.failure?.code).toBe('ENOSPC');
  });
});
