import { describe, expect, it } from 'vitest';
import { limited } from '../src/concurrency.js';

describe('bounded concurrency', () => {
  it('limited keeps the order of its items', async () => {
    expect(await limited([3, 1, 2], async (n) => n * 10, 2)).toEqual([30, 10, 20]);
  });
});
