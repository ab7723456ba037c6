import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { childProcesses } from '../../bench/child-processes.js';

describe('childProcesses', () => {
  it('finds a child of this process by a word of its command line, and not by another word', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'bench-child-marker'], { stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      expect(childProcesses(process.pid, 'bench-child-marker')).toEqual([child.pid]);
      expect(childProcesses(process.pid, 'no-such-marker')).toEqual([]);
    } finally {
      child.kill();
    }
  });

  it('does not list a process that is not a child of the given parent', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'bench-orphan-marker'], { stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      expect(childProcesses(child.pid ?? 0, 'bench-orphan-marker')).toEqual([]);
    } finally {
      child.kill();
    }
  });
});
