import { compileSchema } from '../schema.js';

/**
 * A rule's `when` (a JSON Schema over the system's governance facts) as a person reads it: "tier is high or
 * prohibited and status is not retired". Shapes beyond these read as the schema itself. `explain` and the
 * Statement of Applicability both say where a rule applies in these words.
 */
export function conditionInWords(when: unknown): string {
  const schema = when as { properties?: Record<string, unknown>; required?: string[] };
  const parts = Object.entries(schema.properties ?? {}).map(([fact, test]) => `${fact} ${testInWords(test)}`);
  return parts.length && parts.every((p) => !p.includes('{')) ? parts.join(' and ') : JSON.stringify(when);
}

function testInWords(test: unknown): string {
  const t = test as { const?: unknown; enum?: unknown[]; not?: unknown };
  if (t.const !== undefined) return `is ${t.const}`;
  if (t.enum) return `is ${t.enum.join(' or ')}`;
  if (t.not) return testInWords(t.not).replace(/^is /, 'is not ');
  return JSON.stringify(test);
}

const KEYWORDS = new Set(['required', 'properties', 'const', 'enum', 'not']);

/** A value a condition may compare with: what YAML writes plainly, NaN and the infinities left out. */
const plain = (v: unknown) =>
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  v === null ||
  (typeof v === 'number' && Number.isFinite(v));

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A condition written with required, properties, const, enum and not alone (every `when` of the baseline,
 * and those a policy usually writes), as a function that answers as Ajv's validator of it would. Compiling
 * a schema loads Ajv and compiles its meta-schema first, which took a sixth of a check's time for one such
 * condition. Any other shape returns undefined: Ajv judges it, and says what is wrong with it.
 */
export function simpleCondition(when: unknown): ((facts: unknown) => boolean) | undefined {
  if (!isRecord(when) || !Object.keys(when).every((key) => KEYWORDS.has(key))) return undefined;
  const tests: ((data: unknown) => boolean)[] = [];
  const { required, properties, not } = when;
  if (required !== undefined) {
    if (!Array.isArray(required) || !required.every((key) => typeof key === 'string')) return undefined;
    if (new Set(required).size !== required.length) return undefined;
    // As Ajv reads them: keywords about objects pass anything else, and a key set to undefined is absent.
    tests.push((data) => !isRecord(data) || required.every((key) => data[key] !== undefined));
  }
  if (properties !== undefined) {
    if (!isRecord(properties) || Object.hasOwn(properties, '__proto__')) return undefined;
    const each: [string, (value: unknown) => boolean][] = [];
    for (const [key, schema] of Object.entries(properties)) {
      const test = simpleCondition(schema);
      if (!test) return undefined;
      each.push([key, test]);
    }
    tests.push(
      (data) => !isRecord(data) || each.every(([key, test]) => data[key] === undefined || test(data[key])),
    );
  }
  if ('const' in when) {
    if (!plain(when.const)) return undefined;
    tests.push((data) => data === when.const);
  }
  if ('enum' in when) {
    const values = when.enum;
    if (!Array.isArray(values) || values.length === 0 || !values.every(plain)) return undefined;
    if (new Set(values).size !== values.length) return undefined;
    tests.push((data) => values.includes(data));
  }
  if (not !== undefined) {
    const test = simpleCondition(not);
    if (!test) return undefined;
    tests.push((data) => !test(data));
  }
  return (data) => tests.every((test) => test(data));
}

const conditions = new WeakMap<object, (facts: unknown) => boolean>();

/** Whether a rule with this `when` applies to a system with these facts. */
export function applies(when: object, facts: unknown): boolean {
  let test = conditions.get(when);
  if (!test) {
    test = simpleCondition(when) ?? compileSchema(when);
    conditions.set(when, test);
  }
  return test(facts);
}
