import { open } from 'node:fs/promises';

const CHUNK = 64 * 1024;

/**
 * Cuts an NDJSON file after its last complete line, so every line left parses: a write that failed part way (a full
 * disk accepts some bytes of a chunk, then refuses the rest) leaves a torn last line. Returns the bytes removed.
 */
export async function cutAtLastCompleteLine(file: string): Promise<number> {
  const handle = await open(file, 'r+');
  try {
    const { size } = await handle.stat();
    let end = size;
    const buffer = Buffer.alloc(CHUNK);
    while (end > 0) {
      const from = Math.max(0, end - CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, end - from, from);
      const newline = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (newline >= 0) {
        const keep = from + newline + 1;
        if (keep < size) await handle.truncate(keep);
        return size - keep;
      }
      end = from;
    }
    if (size > 0) await handle.truncate(0);
    return size;
  } finally {
    await handle.close();
  }
}
