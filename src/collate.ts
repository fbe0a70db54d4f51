/**
 * Printable ASCII in the order of Unicode's root collation (what `localeCompare` gives where a locale does not
 * tailor it): space and punctuation, symbols, digits, then letters, each capital beside its lower-case letter.
 * Written out because the first Intl.Collator a process builds reads ICU's collation data, which cost a check of
 * the example a twentieth of its work (65 M instructions) for ids, paths and rule names that are nearly always
 * plain ASCII. test/collate.test.ts holds this order to the running Node's collator.
 */
export const ROOT_ORDER = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz';

/** Each printable ASCII character's place in ROOT_ORDER, from 1; a capital has its lower-case letter's. */
const RANK = new Uint8Array(128);
for (let i = 0; i < ROOT_ORDER.length; i++) {
  const code = ROOT_ORDER.charCodeAt(i);
  RANK[code] = i + 1;
  if (code >= 0x61 && code <= 0x7a) RANK[code - 0x20] = i + 1;
}

const plain = (text: string) => {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || RANK[code] === 0) return false;
  }
  return true;
};

let collator: Intl.Collator | undefined;

/**
 * Compares text in the root collation's order, as `new Intl.Collator('und').compare` does, and so the same on
 * every machine whatever its locale. Two strings of printable ASCII are compared by ROOT_ORDER: first the
 * characters whatever their case, then the shorter first, then at the first difference of case the lower-case
 * letter first. Any other pair goes to the collator, built when first needed.
 */
export function compareText(a: string, b: string): number {
  if (!plain(a) || !plain(b)) {
    collator ??= new Intl.Collator('und');
    return collator.compare(a, b);
  }
  let byCase = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (RANK[x] !== RANK[y]) return RANK[x]! < RANK[y]! ? -1 : 1;
    // The same letter in two cases: the lower-case one, the higher code, comes first.
    if (x !== y && byCase === 0) byCase = x > y ? -1 : 1;
  }
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return byCase;
}
