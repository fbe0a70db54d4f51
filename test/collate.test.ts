import { describe, expect, it } from 'vitest';
import { compareText, ROOT_ORDER } from '../src/collate.js';
import { seeded } from './helpers.js';

const root = new Intl.Collator('und');

describe('compareText', () => {
  it("lists printable ASCII in the running Node's root collation order, capitals beside their letters", () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
    const sorted = [...printable].sort(root.compare);
    expect(sorted.filter((c) => !/[A-Z]/.test(c)).join('')).toBe(ROOT_ORDER);
    for (const capital of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
      expect(sorted[sorted.indexOf(capital) - 1]).toBe(capital.toLowerCase());
  });

  it('orders as the root collator does, ASCII or not', () => {
    const random = seeded(20261207);
    // Few characters, so that long common prefixes, case pairs and prefixes of each other are common.
    const alphabet = [
      'a',
      'A',
      'b',
      'B',
      'z',
      'Z',
      '0',
      '9',
      '-',
      '_',
      '.',
      '/',
      ' ',
      '~',
      'é',
      'ß',
      '\t',
      '😀',
    ];
    const word = () =>
      Array.from(
        { length: Math.floor(random() * 6) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
    for (let i = 0; i < 20_000; i++) {
      const a = word();
      const b = random() < 0.2 ? a.toUpperCase() : word();
      expect([a, b, compareText(a, b)]).toEqual([a, b, Math.sign(root.compare(a, b))]);
    }
  });

  it('sorts ids, paths and rule names as the collator does', () => {
    const names = [
      'models/b',
      'models/B',
      'Models/a',
      'models/a-1',
      'models/a_1',
      'models/a.1',
      'models/a10',
      'models/a9',
      'card.required',
      'card.Required',
      '',
    ];
    expect([...names].sort(compareText)).toEqual([...names].sort(root.compare));
  });
});
