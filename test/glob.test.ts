import { Minimatch, type MinimatchOptions } from 'minimatch';
import { describe, expect, it } from 'vitest';
import { matches } from '../src/glob.js';
import { seeded } from './helpers.js';

describe('matches', () => {
  it('answers as minimatch does, for every pattern, path and option it is given', () => {
    const next = seeded(7);
    const from = (pieces: readonly string[], most: number) =>
      Array.from(
        { length: Math.floor(next() * most) },
        () => pieces[Math.floor(next() * pieces.length)],
      ).join('');
    const PATTERN = [
      '*',
      '**',
      '?',
      'a',
      'B',
      'use',
      ' ',
      '.',
      '-',
      '/',
      '[ab]',
      '{a,b}',
      '!',
      '#',
      'İ',
      'ß',
      '\\',
    ];
    const PATH = ['a', 'A', 'b', 'use', 'USE', ' ', '.', '-', '/', 'İ', 'i', 'ß', 'SS', '\\', ''];
    const OPTIONS: MinimatchOptions[] = [{}, { dot: true }, { nocase: true }, { dot: true, nocase: true }];
    const patterns = [...Array.from({ length: 300 }, () => from(PATTERN, 5)), '*intended use*', 'data', ''];
    const paths = [
      ...Array.from({ length: 120 }, () => from(PATH, 6)),
      'intended use',
      '.intended use',
      'data',
    ];
    let hits = 0;
    for (const pattern of patterns)
      for (const options of OPTIONS) {
        const minimatch = new Minimatch(pattern, options);
        for (const path of paths) {
          const expected = minimatch.match(path);
          expect([pattern, options, path, matches(path, pattern, options)]).toEqual([
            pattern,
            options,
            path,
            expected,
          ]);
          if (expected) hits++;
        }
      }
    // Matching is common enough that agreeing is not agreeing on "no".
    expect(hits).toBeGreaterThan(2000);
  });
});
