import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpaceReserve } from '../../sim/results/space-reserve.js';

describe('the space reserved for the summary', () => {
  it('holds the bytes asked for in the run folder until it is given back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-reserve-'));
    const reserve = await SpaceReserve.claim(dir, 64 * 1024);
    expect(reserve.held).toBe(true);
    expect(statSync(join(dir, '.certfleet-space-reserve')).size).toBe(64 * 1024);
    await reserve.release();
    expect(reserve.held).toBe(false);
    expect(existsSync(join(dir, '.certfleet-space-reserve'))).toBe(false);
  });

  it('is simply not held, and leaves nothing, where it cannot be written', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'certfleet-reserve-')), 'missing');
    const reserve = await SpaceReserve.claim(dir, 1024);
    expect(reserve.held).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await reserve.release();
  });
});
