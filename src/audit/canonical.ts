/**
 * A check of whether `bytes` are exactly the RFC 8785 canonical JSON of an object whose top-level keys are among `topLevel`:
 * what `serialise` writes. Only then may a line be read in place, by its bytes: a SHA-256 over the bytes proves
 * nothing about them (anyone can compute one), so bytes that merely hash to their `hash` member could repeat a
 * key, carry a nested member where a reader of bytes looks for a top-level one, or spell a value otherwise, and be
 * read one way here and another by JSON.parse. Conservative: anything it does not recognise at once (an escape of
 * a surrogate, more than 32 levels) is `false`, and the caller parses the line instead. One pass, no allocation
 * but for keys with escapes or non-ASCII characters and numbers that are not plain integers.
 */
export function canonicalEntryCheck(topLevel: Iterable<string>): CanonicalEntries {
  // In the order the keys must come: each key the line gives is looked for from just past the last one found.
  const names = [...topLevel].sort();
  const keys = names.map((key) => Buffer.from(key, 'latin1'));
  const offsets = new Int32Array(keys.length);
  const slots = new Map(names.map((name, slot) => [name, slot]));
  let next = 0;
  const allowed = (b: Uint8Array, from: number, to: number) => {
    for (; next < keys.length; next++) {
      const key = keys[next]!;
      const length = to - from - 2;
      let order = 0;
      for (let i = 0; i < Math.min(key.length, length) && order === 0; i++)
        order = key[i]! - b[from + 1 + i]!;
      if (order === 0) order = key.length - length;
      if (order === 0) {
        offsets[next++] = from;
        return true;
      }
      if (order > 0) return false; // past where it would be: not a member entries have
    }
    return false;
  };
  return {
    check(bytes) {
      next = 0;
      offsets.fill(-1);
      return object(bytes, 0, 0, allowed) === bytes.length;
    },
    at(name) {
      const slot = slots.get(name);
      return slot === undefined ? -1 : offsets[slot]!;
    },
  };
}

export interface CanonicalEntries {
  /** Whether `bytes` are canonical, with top-level members only of the names given. */
  check(bytes: Uint8Array): boolean;
  /**
   * Where the top-level member `name` starts (its key's opening quote) in the bytes last checked, or -1: a
   * reader of bytes that finds a member by searching must find this one, not one nested in another member.
   */
  at(name: string): number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MAX_DEPTH = 32;

/** The index just past the value at `at`, or -1 where it is not canonical. */
function value(b: Uint8Array, at: number, depth: number): number {
  const c = b[at];
  if (c === 0x7b) return object(b, at, depth + 1, undefined);
  if (c === 0x5b) return array(b, at, depth + 1);
  if (c === QUOTE) return string(b, at);
  if (c === 0x74) return literal(b, at, 'true');
  if (c === 0x66) return literal(b, at, 'false');
  if (c === 0x6e) return literal(b, at, 'null');
  if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return number(b, at);
  return -1;
}

type KeyCheck = (b: Uint8Array, from: number, to: number) => boolean;

function object(b: Uint8Array, at: number, depth: number, topLevel: KeyCheck | undefined): number {
  if (b[at] !== 0x7b || depth > MAX_DEPTH) return -1;
  let i = at + 1;
  if (b[i] === 0x7d) return i + 1;
  let previous = -1;
  let previousEnd = -1;
  for (;;) {
    const keyEnd = string(b, i);
    if (keyEnd === -1) return -1;
    // Keys in strictly increasing order, as RFC 8785 sorts them: so none is repeated.
    if (previous !== -1 && compareKeys(b, previous, previousEnd, i, keyEnd) >= 0) return -1;
    if (topLevel && !topLevel(b, i, keyEnd)) return -1;
    previous = i;
    previousEnd = keyEnd;
    if (b[keyEnd] !== COLON) return -1;
    i = value(b, keyEnd + 1, depth);
    if (i === -1) return -1;
    if (b[i] === 0x7d) return i + 1;
    if (b[i] !== COMMA) return -1;
    i++;
  }
}

function array(b: Uint8Array, at: number, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  let i = at + 1;
  if (b[i] === 0x5d) return i + 1;
  for (;;) {
    i = value(b, i, depth);
    if (i === -1) return -1;
    if (b[i] === 0x5d) return i + 1;
    if (b[i] !== COMMA) return -1;
    i++;
  }
}

/** Short escapes RFC 8785 (as JSON.stringify) writes: \" \\ \b \f \n \r \t. */
const SHORT = new Uint8Array(128);
for (const c of [0x22, 0x5c, 0x62, 0x66, 0x6e, 0x72, 0x74]) SHORT[c] = 1;
/** Control characters written as \u00xx (lowercase): those without a short escape. */
const hex = (c: number | undefined) =>
  c === undefined ? -1 : c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;

/** The index just past the string at `at` (a quote), or -1. Raw characters from U+0020 up, escapes only as written. */
function string(b: Uint8Array, at: number): number {
  if (b[at] !== QUOTE) return -1;
  for (let i = at + 1; i < b.length; i++) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c < 0x20) return -1;
    if (c !== BACKSLASH) continue;
    const e = b[i + 1];
    if (e !== undefined && SHORT[e] === 1) {
      i++;
      continue;
    }
    if (e !== 0x75 || b[i + 2] !== 0x30 || b[i + 3] !== 0x30) return -1;
    const high = hex(b[i + 4]);
    const low = hex(b[i + 5]);
    if (high < 0 || high > 1 || low < 0) return -1;
    const code = high * 16 + low;
    if (code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) return -1;
    i += 5;
  }
  return -1;
}

function literal(b: Uint8Array, at: number, word: string): number {
  for (let i = 0; i < word.length; i++) if (b[at + i] !== word.charCodeAt(i)) return -1;
  return at + word.length;
}

/** A number as ECMAScript writes it (RFC 8785 §3.2.2.3): a plain integer, or whatever String(Number(text)) gives back. */
function number(b: Uint8Array, at: number): number {
  let i = at;
  let plain = true;
  for (; i < b.length; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x39) continue;
    if (c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45) {
      plain = false;
      continue;
    }
    break;
  }
  if (i === at) return -1;
  const digits = i - at;
  if (plain && (digits === 1 || b[at] !== 0x30) && digits <= 15) return i;
  const text = latin1(b, at, i);
  const read = Number(text);
  return Number.isFinite(read) && String(read) === text ? i : -1;
}

/** A key's text: its bytes where they are ASCII without escapes, else decoded. */
function keyText(b: Uint8Array, from: number, to: number): string {
  for (let i = from + 1; i < to - 1; i++)
    if (b[i]! >= 0x80 || b[i] === BACKSLASH)
      return JSON.parse(Buffer.from(b.subarray(from, to)).toString('utf8'));
  return latin1(b, from + 1, to - 1);
}

const latin1 = (b: Uint8Array, from: number, to: number) =>
  Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('latin1');

/** RFC 8785's order: by UTF-16 code units of the decoded keys (for ASCII keys without escapes, their bytes). */
function compareKeys(b: Uint8Array, aFrom: number, aTo: number, bFrom: number, bTo: number): number {
  let simple = true;
  for (let i = aFrom + 1; i < aTo - 1 && simple; i++) simple = b[i]! < 0x80 && b[i] !== BACKSLASH;
  for (let i = bFrom + 1; i < bTo - 1 && simple; i++) simple = b[i]! < 0x80 && b[i] !== BACKSLASH;
  if (!simple) {
    const x = keyText(b, aFrom, aTo);
    const y = keyText(b, bFrom, bTo);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const aLength = aTo - aFrom - 2;
  const bLength = bTo - bFrom - 2;
  for (let i = 0; i < Math.min(aLength, bLength); i++) {
    const d = b[aFrom + 1 + i]! - b[bFrom + 1 + i]!;
    if (d !== 0) return d;
  }
  return aLength - bLength;
}
