import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundle, OUTFILE } from '../../scripts/bundle.js';

describe('dist/index.js', () => {
  it('is the bundle of the current sources (run `npm run bundle` and commit it)', async () => {
    const committed = readFileSync(OUTFILE, 'utf8');
    const fresh = await bundle();
    expect(committed === fresh, 'dist/index.js is stale: run `npm run bundle` and commit dist/').toBe(true);
  });
});
