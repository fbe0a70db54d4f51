import { describe, expect, it, vi } from 'vitest';
import { gate, limited } from '../src/concurrency.js';

describe('bounded concurrency', () => {
  it('a gate runs at most its width at once, every task in the end, in order of arrival', async () => {
    // Tasks end in another order than they started, on timers run by the test, not by the clock.
    vi.useFakeTimers();
    const through = gate(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const all = Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        through(async () => {
          started.push(i);
          most = Math.max(most, ++running);
          await new Promise((resolve) => setTimeout(resolve, i % 3));
          running--;
          return i * 2;
        }),
      ),
    );
    await vi.runAllTimersAsync();
    const results = await all;
    vi.useRealTimers();
    expect(most).toBe(3);
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(started).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('a task that fails lets the next one through', async () => {
    const through = gate(1);
    const failed = through(() => Promise.reject(new Error('no')));
    await expect(failed).rejects.toThrow('no');
    await expect(through(async () => 'next')).resolves.toBe('next');
  });

  it('limited keeps the order of its items', async () => {
    expect(await limited([3, 1, 2], async (n) => n * 10, 2)).toEqual([30, 10, 20]);
  });
});
