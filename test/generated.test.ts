import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as precompiled from '../generated/precompiled.js';
import { parsedAsset, pointerKey, readAsset } from '../src/assets.js';
import { parseModelCard } from '../src/documents/model-card.js';
import { parseData } from '../src/parse/yaml.js';
import { checkPack } from '../src/policy/load.js';
import { packageSchemas, precompiledSource, yamlAssets } from '../src/precompile.js';
import { compileSchema, prepareSchemas, schemaKey } from '../src/schema.js';
import { createAjv } from '../src/schema-compiler.js';
import type { Pointer } from '../src/types.js';

const ROOT = join(import.meta.dirname, '..');
const standalone = precompiled as unknown as Record<
  string,
  ((data: unknown) => boolean) & { errors?: unknown }
>;

/** The YAML or front-matter values under examples/, templates/ and the package's own data: valid inputs. */
function goodInputs(): unknown[] {
  const files = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && /\.(ya?ml|md)$/.test(entry.name))
      .map((entry) => join(entry.parentPath, entry.name));
  // Templates with placeholders where values go do not parse: they are left out.
  return [...files('examples'), ...files('templates'), ...files('policies'), ...files('reference')].flatMap(
    (file) => {
      const text = readFileSync(file, 'utf8');
      const parsed = file.endsWith('.md') ? parseModelCard(file, text) : parseData(text);
      return 'problem' in parsed ? [] : [parsed.data.value];
    },
  );
}

/** Each valid input broken in the ways documents are: a key's value of the wrong type, a key unknown, gone. */
function badInputs(good: unknown[]): unknown[] {
  const bad: unknown[] = [{}, [], null, 'text', 42, { 'x-own': 1, unknown: true }];
  for (const value of good) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    bad.push({ ...value, unknonw: 'key' });
    for (const key of Object.keys(value)) {
      const { [key]: _, ...without } = value as Record<string, unknown>;
      bad.push(without);
      for (const wrong of [42, 'text', [], [42], { nested: { deeper: [] } }, '2026-13-45', ''])
        bad.push({ ...value, [key]: wrong });
    }
  }
  return bad;
}

/**
 * Deep equality of JSON-like values (the same prototypes, keys and values, as node:util's strict one), which
 * remembers the pairs of objects it found equal: the errors of thousands of inputs carry the same schemas.
 */
const equalPairs = new WeakMap<object, WeakSet<object>>();
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (equalPairs.get(a)?.has(b)) return true;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys)
    if (
      !Object.hasOwn(b, key) ||
      !same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])
    )
      return false;
  if (!equalPairs.has(a)) equalPairs.set(a, new WeakSet());
  equalPairs.get(a)!.add(b);
  return true;
}

describe('generated/precompiled.js', () => {
  it('is what `npm run schemas` generates from the current schemas and data files', async () => {
    expect(readFileSync(join(ROOT, 'generated/precompiled.js'), 'utf8')).toBe(await precompiledSource());
  });

  it("gives every package schema's validator, which reports the same errors as Ajv compiling it now", () => {
    const ajv = createAjv();
    const good = goodInputs();
    const inputs = [...good, ...badInputs(good)];
    let failures = 0;
    // Compared by `same`, then shown by expect on the first input that differs: expect compared every
    // error's schema and parent schema anew, tens of seconds over these thousands of inputs.
    for (const schema of packageSchemas()) {
      const ahead = standalone[schemaKey(JSON.stringify(schema))];
      expect(ahead).toBeTypeOf('function');
      const now = ajv.compile(schema);
      for (const input of inputs) {
        const results = [ahead!(input), ahead!.errors];
        const expected = [now(input), now.errors];
        if (!same(results, expected))
          expect({ schema, input, results }).toEqual({ schema, input, results: expected });
        if (!results[0]) failures++;
      }
    }
    // The inputs exercise both outcomes, so "the same errors" is not "no errors either way".
    expect(failures).toBeGreaterThan(1000);
  });

  it('holds each YAML data file parsed, with the lines and columns of every value, as parsing gives them', () => {
    for (const path of yamlAssets()) {
      const text = readAsset(path);
      const ahead = parsedAsset(path, text);
      const now = parseData(text);
      if ('problem' in ahead || 'problem' in now) throw new Error(`${path} does not parse`);
      expect(ahead.data.value).toEqual(now.data.value);
      const pointers: Pointer[] = [];
      const walk = (value: unknown, pointer: Pointer) => {
        pointers.push(pointer, [...pointer, 'missing'], [...pointer, 99]);
        if (typeof value === 'object' && value !== null)
          for (const [key, child] of Object.entries(value))
            walk(child, [...pointer, Array.isArray(value) ? Number(key) : key]);
      };
      walk(now.data.value, []);
      for (const pointer of pointers)
        expect([pointerKey(pointer), ahead.data.locate(pointer)]).toEqual([
          pointerKey(pointer),
          now.data.locate(pointer),
        ]);
    }
  });

  it('is not used for a data file whose text changed since', () => {
    const path = 'policies/iso42001-baseline.yml';
    const text = `# a comment moves every line down\n${readAsset(path).replace(/title: .*/, 'title: Changed')}`;
    const ahead = parsedAsset(path, text);
    const now = parseData(text);
    if ('problem' in ahead || 'problem' in now) throw new Error(`${path} does not parse`);
    expect(ahead.data.value).toEqual(now.data.value);
    expect((ahead.data.value as { title: string }).title).toBe('Changed');
    expect(ahead.data.locate(['rules', 0]).line).toBe(now.data.locate(['rules', 0]).line);
    // Parsed now, so not known to be checked: the loader checks it (addPack).
    expect('precompiled' in ahead).toBe(false);
  });

  it("holds only packs that pass the loader's check, which the loader then skips for them", async () => {
    const packs = yamlAssets().filter((path) => path.startsWith('policies/'));
    expect(packs.length).toBeGreaterThan(0);
    for (const path of packs) {
      const ahead = parsedAsset(path, readAsset(path));
      if ('problem' in ahead) throw new Error(`${path} does not parse`);
      expect(ahead.precompiled).toBe(true);
      await checkPack(ahead.data, path);
    }
  });

  it('is not used for a schema that changed since: Ajv compiles that one', async () => {
    const schema = packageSchemas().find((s) => (s as { title?: string }).title?.includes('model card'));
    const changed = {
      ...schema,
      required: [...((schema as { required?: string[] }).required ?? []), 'x-new'],
    };
    await prepareSchemas([changed]);
    const validate = compileSchema(changed);
    expect(validate).not.toBe(standalone[schemaKey(JSON.stringify(schema))]);
    expect(validate({})).toBe(false);
    expect(validate.errors?.some((e) => e.params.missingProperty === 'x-new')).toBe(true);
  });
});
