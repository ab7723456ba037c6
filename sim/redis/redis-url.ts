import { UserInputError } from '../input/user-input-error.js';

/** Where the Redis server that joins a run's agents and broker instances listens (`--redis redis://HOST:PORT[/DB]`). */
export interface RedisAddress {
  /** The URL as the user wrote it, for messages. */
  url: string;
  host: string;
  port: number;
  db: number;
  /** `rediss:`: TLS to Redis. */
  tls: boolean;
  username?: string | undefined;
  password?: string | undefined;
}

/** A `--redis` value that is no Redis URL: the flag, what was given and what was expected. */
export class RedisUrlError extends UserInputError {
  constructor(flag: string, problem: string) {
    super(flag, [problem]);
    this.name = 'RedisUrlError';
  }
}

/** Parses `redis://[user:password@]host[:port][/db]` (and `rediss://`), the form ioredis and redis-cli take. */
export function parseRedisUrl(url: string, flag = '--redis'): RedisAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUrlError(flag, `"${url}" is not a URL: expected redis://HOST:PORT, for example redis://127.0.0.1:6379`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisUrlError(flag, `"${url}" has scheme "${parsed.protocol.replace(/:$/, '')}": expected redis:// or rediss://`);
  }
  if (parsed.hostname === '') throw new RedisUrlError(flag, `"${url}" names no host: expected redis://HOST:PORT`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const path = parsed.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) throw new RedisUrlError(flag, `"${url}": the database "${path}" is not a number: expected redis://HOST:PORT/0`);
  return {
    url,
    // An IPv6 literal comes back bracketed from URL; sockets take it bare.
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db,
    tls: parsed.protocol === 'rediss:',
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
  };
}
