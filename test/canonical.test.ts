import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { canonicalEntryCheck } from '../src/audit/canonical.js';

const entries = canonicalEntryCheck(['a', 'b', 'details', 'v']);
const check = (bytes: Uint8Array) => entries.check(bytes);
const bytes = (text: string) => Buffer.from(text, 'utf8');
const canonical = (value: unknown) => bytes(canonicalize(value) as string);

describe('canonical entry bytes (RFC 8785), read in place only when exactly so', () => {
  it('accepts what canonicalize writes, whatever the values: escapes, non-ASCII, numbers, nesting', () => {
    const values = [
      { a: 1, v: 1 },
      { a: 'tab\there "quoted" back\\slash \u0001 \u001f \u007f é 𝄞 \u2028', v: 1 },
      { details: { z: [1, -2, 0.5, 1e21, 1e-7, 123456789012345, true, false, null], é: {}, A: [] }, v: 1 },
      { details: { nested: { deeper: [{ b: 'x', a: 'y' }] } } },
      {},
    ];
    for (const value of values) expect(check(canonical(value)), JSON.stringify(value)).toBe(true);
  });

  it('refuses the same value written any other way, so that no reader can read it otherwise', () => {
    const refused = [
      '{"a":1,"a":2,"v":1}', // a repeated key: JSON.parse keeps the last, others the first
      '{"v":1,"a":1}', // keys out of order
      '{"a":1, "v":1}', // whitespace
      '{"a":"\\u0041","v":1}', // an escape canonical JSON does not write
      '{"a":"\\/","v":1}',
      '{"a":"\\u000a","v":1}', // \n has its short form
      '{"a":"\\u001F","v":1}', // uppercase hex
      '{"a":1.0,"v":1}', // numbers as ECMAScript writes them
      '{"a":1e2,"v":1}',
      '{"a":-0,"v":1}',
      '{"a":01,"v":1}',
      '{"a":1,"v":1,"w":{"type":"custom.note"}}', // a member entries do not have
      '{"a":1,"v":1}\n',
      '{"a":"raw \u0001 control","v":1}',
      `{"details":${'['.repeat(40)}${']'.repeat(40)}}`, // deeper than any entry: parsed instead
    ];
    for (const text of refused) expect(check(bytes(text)), text).toBe(false);
  });

  it('says where each top-level member starts, and that a nested one of the same name is none of them', () => {
    const text = '{"a":{"v":2},"details":{"a":1},"v":1}';
    expect(check(bytes(text))).toBe(true);
    expect(entries.at('a')).toBe(1);
    expect(entries.at('details')).toBe(text.indexOf('"details"'));
    expect(entries.at('v')).toBe(text.lastIndexOf('"v"'));
    expect(entries.at('b')).toBe(-1);
  });
});
