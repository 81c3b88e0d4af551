import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkThreads, defaultThreads, MAX_DEFAULT_THREADS, startWorker } from '../../src/core/workers.js';

describe('worker threads', () => {
  it('starts the TypeScript sibling of a .js module name from sources, with workerData', async () => {
    const w = startWorker('./fixtures/echo-worker.js', import.meta.url, { n: 21 });
    const msg = await new Promise<{ doubled: number; url: string }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
    expect(msg.doubled).toBe(42);
    expect(msg.url.endsWith('/test/core/fixtures/echo-worker.ts')).toBe(true);
  });

  it('names the missing module', () => {
    expect(() => startWorker('./fixtures/no-such-worker.js', import.meta.url)).toThrow(/worker module not found: .*no-such-worker\.js/);
  });

  it('defaults to the available cores, capped, and checks user thread counts', () => {
    expect(defaultThreads()).toBe(Math.min(MAX_DEFAULT_THREADS, availableParallelism()));
    expect(checkThreads(2, '--threads')).toBe(2);
    expect(() => checkThreads(0, '--threads')).toThrow('--threads must be an integer from 1 to 256, got 0');
    expect(() => checkThreads(1.5, '--threads')).toThrow(/got 1.5/);
  });
});
