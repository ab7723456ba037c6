import { Redis } from 'ioredis';
import type { RedisAddress } from './redis-url.js';

/** Redis could not be reached, or went away and did not come back in time: which server, and what was seen. */
export class RedisUnavailableError extends Error {
  constructor(address: RedisAddress, role: string, cause: string) {
    super(`Redis at ${address.url} (${role}): ${cause}`);
    this.name = 'RedisUnavailableError';
  }
}

export interface RedisConnectionOptions {
  /** Who holds the connection, for messages ("the coordinator", "agent 2"). */
  role: string;
  /** How long a lost connection is retried before the holder is told Redis is gone (default 3 s). */
  giveUpAfterMs?: number | undefined;
  /** Told once when Redis is given up on; every pending and later command then fails too. */
  onGone?: ((error: RedisUnavailableError) => void) | undefined;
}

/**
 * An ioredis connection that fails instead of waiting forever: ioredis retries a lost server without end and queues
 * commands meanwhile, which would turn "Redis went away" into a hang. Here retries stop after `giveUpAfterMs`, queued
 * commands fail, and `onGone` says so once. Resolves when the server answered PING.
 */
export async function connectRedis(address: RedisAddress, options: RedisConnectionOptions): Promise<Redis> {
  const giveUpAfterMs = options.giveUpAfterMs ?? 3_000;
  let lostAt: number | undefined;
  let lastError = 'no answer';
  let gone = false;
  const redis = new Redis({
    host: address.host,
    port: address.port,
    db: address.db,
    username: address.username,
    password: address.password,
    ...(address.tls ? { tls: {} } : {}),
    lazyConnect: true,
    connectTimeout: giveUpAfterMs,
    // Commands issued while disconnected fail after this many reconnects rather than waiting in ioredis's queue.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: () => {
      lostAt ??= Date.now();
      if (Date.now() - lostAt >= giveUpAfterMs) return null;
      return 200;
    },
  });
  const giveUp = () => {
    if (gone) return;
    gone = true;
    options.onGone?.(new RedisUnavailableError(address, options.role, `unreachable for ${giveUpAfterMs / 1000} s (${lastError})`));
  };
  redis.on('error', (error: Error) => {
    lastError = error.message;
  });
  redis.on('ready', () => {
    lostAt = undefined;
  });
  redis.on('end', giveUp);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new RedisUnavailableError(address, options.role, `cannot connect: ${(error as Error).message === 'Connection is closed.' ? lastError : (error as Error).message}`);
  }
  return redis;
}
