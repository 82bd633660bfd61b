/**
 * Vitest `globalSetup` of the `redis` project: one redis-server for the run. Each test
 * gets its own key prefix (see `useSignaling`), so files can share it in parallel.
 */
import type { TestProject } from 'vitest/node';
import { startRedis } from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedis();
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
