import { describe, expect, it } from 'vitest';
import { simpleCondition } from '../src/policy/when.js';
import { createAjv } from '../src/schema-compiler.js';
import { seeded } from './helpers.js';

/** Draws from a seeded sequence, so a failure names the same case on every run. */
function random(seed: number) {
  const next = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}

const KEYS = ['tier', 'status', 'changed', 'id', 'constructor', 'toString'] as const;
const VALUES = ['high', 'limited', 'production', 'retired', '', 0, 1, -0, 0.1, true, false, null] as const;

describe('a simple `when`', () => {
  it('applies exactly where Ajv says its schema matches, on conditions and facts of every shape', () => {
    const { next, pick } = random(42);
    const value = (depth: number): unknown => {
      const r = next();
      if (r < 0.6 || depth > 2) return pick(VALUES);
      if (r < 0.7) return undefined;
      if (r < 0.85) return [pick(VALUES), pick(VALUES)];
      return facts(depth + 1);
    };
    const facts = (depth = 0): Record<string, unknown> =>
      Object.fromEntries(KEYS.filter(() => next() < 0.5).map((key) => [key, value(depth)]));
    const condition = (depth = 0): Record<string, unknown> => {
      const schema: Record<string, unknown> = {};
      if (next() < 0.4) schema.required = [...new Set(KEYS.filter(() => next() < 0.3))];
      if (next() < 0.5 && depth < 3)
        schema.properties = Object.fromEntries(
          KEYS.filter(() => next() < 0.3).map((key) => [key, condition(depth + 1)]),
        );
      if (next() < 0.3) schema.const = pick(VALUES);
      if (next() < 0.3) schema.enum = [...new Set([pick(VALUES), ...VALUES.filter(() => next() < 0.3)])];
      if (next() < 0.2 && depth < 3) schema.not = condition(depth + 1);
      return schema;
    };
    const ajv = createAjv();
    const inputs = [...Array.from({ length: 60 }, () => facts()), ...VALUES, undefined, [], ['high'], {}];
    let matched = 0;
    let checked = 0;
    for (let n = 0; n < 400; n++) {
      const when = condition();
      const simple = simpleCondition(when);
      expect(simple, JSON.stringify(when)).toBeTypeOf('function');
      const validate = ajv.compile(when);
      for (const input of inputs) {
        const expected = validate(input);
        expect([JSON.stringify(when), JSON.stringify(input), simple!(input)]).toEqual([
          JSON.stringify(when),
          JSON.stringify(input),
          expected,
        ]);
        checked++;
        if (expected) matched++;
      }
    }
    // Both answers are common, so agreeing is not agreeing on "no".
    expect(matched / checked).toBeGreaterThan(0.2);
    expect(matched / checked).toBeLessThan(0.8);
  });

  it('leaves any other shape to Ajv, which judges whether it is a schema at all', () => {
    for (const when of [
      { type: 'object' },
      { required: 'tier' },
      { required: ['tier', 'tier'] },
      { enum: [] },
      { enum: ['high', 'high'] },
      { enum: [{ tier: 'high' }] },
      { const: ['high'] },
      { const: Number.NaN },
      { properties: { tier: { pattern: '^h' } } },
      { properties: ['tier'] },
      { not: 'tier' },
      { anyOf: [{ required: ['tier'] }] },
      'tier',
      ['tier'],
      null,
    ])
      expect(simpleCondition(when), JSON.stringify(when)).toBeUndefined();
  });
});
