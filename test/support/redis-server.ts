/** A real Redis server for a test (bench/redis-server.ts): stop() kills it the way a crash would. */
export { freeLoopbackPort, startRedisServer as startTestRedis, type LocalRedis as TestRedis } from '../../bench/redis-server.js';
