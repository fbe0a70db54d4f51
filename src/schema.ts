import { createHash } from 'node:crypto';
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as precompiled from '../generated/precompiled.js';
import type { ParsedData } from './parse/yaml.js';
import { closest } from './spelling.js';
import type { Pointer, Position } from './types.js';

/** The key of a schema among the precompiled validators: the SHA-256 of its JSON, so a changed schema misses. */
export function schemaKey(json: string): string {
  return `h${createHash('sha256').update(json).digest('hex')}`;
}

/**
 * The schemas aims-gate ships with (document, policy and config schemas, the baseline pack's conditions)
 * come precompiled (generated/precompiled.js, from `npm run schemas`): compiling them with Ajv at each start cost
 * most of a check's time. Ajv itself is loaded only for a schema that is not there, such as a condition a
 * repository's own policy writes.
 */
const standalone = precompiled as unknown as Record<string, ValidateFunction | undefined>;
let compiler: typeof import('./schema-compiler.js') | undefined;

const byContent = new Map<string, ValidateFunction>();
/** Rules ask for their schemas once per system: the same object is found without serialising it again. */
const byObject = new WeakMap<object, ValidateFunction>();

/** The validator of a schema without compiling it: one compiled before, or a precompiled one. */
function known(schema: object): { key: string; validate?: ValidateFunction } {
  const key = JSON.stringify(schema);
  const validate = byContent.get(key) ?? standalone[schemaKey(key)];
  if (validate) byContent.set(key, validate);
  return { key, validate };
}

/**
 * Loads Ajv if any of `schemas` has no validator yet: compileSchema is synchronous, and only a dynamic
 * import keeps Ajv out of a start-up that does not need it. Call it where schemas from outside the package
 * (a repository's policy) first appear, before compiling them.
 */
export async function prepareSchemas(schemas: Iterable<unknown>): Promise<void> {
  if (compiler) return;
  for (const schema of schemas) {
    if (schema === undefined || (typeof schema === 'object' && schema !== null && byObject.has(schema)))
      continue;
    // Not a schema at all (a string, say) is Ajv's to explain, as before.
    if (!known(schema as object).validate) {
      compiler = await import('./schema-compiler.js');
      return;
    }
  }
}

/** Compiles a JSON Schema once per distinct content. Throws if the schema itself is invalid. */
export function compileSchema(schema: object): ValidateFunction {
  let validate = byObject.get(schema);
  if (validate) return validate;
  const found = known(schema);
  validate = found.validate;
  if (!validate) {
    if (!compiler)
      throw new Error('aims-gate: a schema to compile before prepareSchemas loaded the compiler');
    validate = compiler.compile(schema);
    byContent.set(found.key, validate);
  }
  byObject.set(schema, validate);
  return validate;
}

/** Checks a JSON Schema fragment from a policy without compiling it for use; returns the reason it is invalid. */
export function schemaProblem(schema: unknown): string | undefined {
  try {
    compileSchema(schema as object);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export interface SchemaViolation extends Position {
  pointer: Pointer;
  message: string;
  fix: string;
}

/**
 * Validates `data` (or the part of it at `at`) and explains each violation at the line it is on.
 */
export function validateData(
  validate: ValidateFunction,
  data: ParsedData,
  { at = [], limit = 50 }: { at?: Pointer; limit?: number } = {},
): SchemaViolation[] {
  let value = data.value;
  for (const key of at) value = (value as Record<string | number, unknown>)[key];
  if (validate(value)) return [];
  const violations: SchemaViolation[] = [];
  const seen = new Set<string>();
  for (const error of relevantErrors(validate.errors ?? [])) {
    const explained = explain(error, at, value);
    const key = `${explained.pointer.join('/')}|${explained.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    violations.push({ ...data.locate(explained.pointer), ...explained });
    if (violations.length >= limit) break;
  }
  return violations;
}

/**
 * An anyOf failure explains itself better than the failures of each of its branches, unless a branch got as
 * far as the value's insides (a mapping with one wrong key): then what is wrong inside is the one to say.
 */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const inside = (e: ErrorObject, path: string) => e.instancePath.startsWith(`${path}/`);
  const anyOfPaths = new Set(
    errors
      .filter((e) => e.keyword === 'anyOf')
      .map((e) => e.instancePath)
      .filter((path) => !errors.some((e) => inside(e, path))),
  );
  const deeper = new Set(
    errors.filter((e) => e.keyword === 'anyOf' && !anyOfPaths.has(e.instancePath)).map((e) => e.instancePath),
  );
  // An if/then failure says only 'must match "then" schema'; the errors of the `then` itself say what.
  return errors.filter(
    (e) =>
      e.keyword !== 'if' &&
      !deeper.has(e.instancePath) &&
      (e.keyword === 'anyOf' || !anyOfPaths.has(e.instancePath)),
  );
}

export function pointerOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^\d+$/.test(key) ? Number(key) : key;
    });
}

export function describePointer(pointer: Pointer): string {
  if (pointer.length === 0) return 'the document';
  return pointer.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function explain(
  error: ErrorObject,
  at: Pointer,
  root: unknown,
): { pointer: Pointer; message: string; fix: string } {
  const pointer = [...at, ...pointerOf(error.instancePath)];
  const where = describePointer(pointer);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const key = String(params.missingProperty);
      return {
        pointer,
        message: `${where} is missing the required key "${key}"`,
        fix: `Add "${key}:" to ${where}${describeSchema(error.parentSchema, key)}.`,
      };
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object })?.properties ?? {});
      const near = closest(key, known);
      return {
        pointer: [...pointer, key],
        message: `unknown key "${key}" in ${where}`,
        fix: near
          ? `Did you mean "${near}"? Rename the key, or prefix it with "x-" to keep it as your own data.`
          : `Remove "${key}", or prefix it with "x-" to keep it as your own data. Known keys: ${known.filter((k) => k !== '$schema').join(', ')}.`,
      };
    }
    case 'type':
      return {
        pointer,
        message: `${where} must be ${article(String(params.type))}`,
        fix:
          params.type === 'string'
            ? `Write ${where} as text; quote values that look like numbers or dates, e.g. "2.1".`
            : `Write ${where} as ${article(String(params.type))}.`,
      };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      let value = root;
      for (const key of pointerOf(error.instancePath))
        value = (value as Record<string | number, unknown> | undefined)?.[key];
      const near = typeof value === 'string' ? closest(value, allowed) : undefined;
      return {
        pointer,
        message: `${where} must be one of: ${allowed.join(', ')}`,
        fix: near ? `Did you mean "${near}"?` : `Use one of: ${allowed.join(', ')}.`,
      };
    }
    case 'format':
      return params.format === 'date'
        ? {
            pointer,
            message: `${where} is not a date`,
            fix: 'Write the date as YYYY-MM-DD, e.g. 2026-03-31.',
          }
        : {
            pointer,
            message: `${where} is not a valid ${params.format}`,
            fix: `Write a valid ${params.format}.`,
          };
    case 'anyOf':
      return {
        pointer,
        message: `${where} has the wrong form`,
        fix: `Write ${where} as ${describeBranches(error.schema)}.`,
      };
    case 'minLength':
      return params.limit === 1
        ? { pointer, message: `${where} is empty`, fix: `Fill in ${where}.` }
        : {
            pointer,
            message: `${where} is shorter than ${params.limit} characters`,
            fix: `Write more in ${where}.`,
          };
    case 'minItems':
      return params.limit === 1
        ? { pointer, message: `${where} is an empty list`, fix: `List at least one item under ${where}.` }
        : {
            pointer,
            message: `${where} has fewer than ${params.limit} items`,
            fix: `List at least ${params.limit} items under ${where}.`,
          };
    case 'not':
      return { pointer, message: `${where} has a value this policy does not allow`, fix: `Change ${where}.` };
    case 'const':
      return {
        pointer,
        message: `${where} must be ${JSON.stringify(params.allowedValue)}`,
        fix: `Set ${where} to ${JSON.stringify(params.allowedValue)}.`,
      };
    default:
      return {
        pointer,
        message: `${where} ${error.message ?? 'is invalid'}`,
        fix: `Change ${where} so that it ${error.message ?? 'is valid'}.`,
      };
  }
}

function describeSchema(parent: unknown, key: string): string {
  const property = (parent as { properties?: Record<string, { description?: string }> })?.properties?.[key];
  return property?.description ? ` (${property.description.replace(/\.$/, '')})` : '';
}

function describeBranches(branches: unknown): string {
  if (!Array.isArray(branches)) return 'one of the allowed forms';
  return branches
    .map((b: { type?: string; items?: { type?: string }; enum?: unknown[]; description?: string }) => {
      if (b.enum) return `one of ${b.enum.join(', ')}`;
      // A pattern says nothing to a reader: the branch's description says what it allows.
      if (b.description) return b.description;
      if (b.type === 'array') return `a list${b.items?.type ? ` of ${b.items.type}s` : ''}`;
      if (b.type) return article(b.type);
      return 'the allowed form';
    })
    .join(' or ');
}

/** "a string", "a list", or for several types (ajv joins them with commas) "a number or a string". */
function article(type: string): string {
  return type
    .split(',')
    .map((one) => {
      const word = one === 'object' ? 'mapping (key: value)' : one === 'array' ? 'list' : one;
      return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
    })
    .join(' or ');
}
