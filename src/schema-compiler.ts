import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * Ajv as aims-gate configures it, for compiling at run time and for `npm run schemas`, which generates the
 * standalone validators of generated/precompiled.js with the same options: both must report the same errors.
 */
export function createAjv(options: Options = {}): Ajv {
  // Strict about unknown keywords (a typo in a policy fragment is an error), lenient about omitted `type`s,
  // which policy authors rightly leave out of short conditions such as { required: [license] }.
  const ajv = new Ajv({
    allErrors: true,
    // Keeps each error's schema and parent schema, which the explanations in schema.ts read.
    verbose: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    strictTuples: false,
    allowUnionTypes: true,
    discriminator: true,
    ...options,
  });
  addFormats(ajv, ['date', 'date-time', 'email', 'uri']);
  return ajv;
}

const ajv = createAjv();

/** Compiles a JSON Schema; throws if the schema itself is invalid. */
export function compile(schema: object) {
  return ajv.compile(schema);
}
