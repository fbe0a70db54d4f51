import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { build } from 'esbuild';
import { PACKAGE_ROOT, pointerKey, readAsset, readJsonAsset, sha256Text } from './assets.js';
import { GOVERNANCE_SCHEMA } from './documents/governance.js';
import { SCHEMA_FILES } from './documents/index.js';
import { type ParsedData, parseData } from './parse/yaml.js';
import { checkPack } from './policy/load.js';
import { configSchema, policySchema, RULE_ENVELOPE, ruleKindSchema } from './policy/schema.js';
import { RULE_KINDS } from './rules/index.js';
import { schemaKey } from './schema.js';
import { createAjv } from './schema-compiler.js';
import { soaSchema } from './soa.js';
import type { Pointer } from './types.js';

// ajv's standalone module is CommonJS; under NodeNext its default export arrives wrapped.
const standaloneCode = standaloneModule as unknown as typeof standaloneModule.default;

/** The package's YAML data files that every check reads: parsed once here, not at each start. */
export function yamlAssets(): string[] {
  const inFolder = (folder: string) =>
    readdirSync(join(PACKAGE_ROOT, folder))
      .filter((name) => name.endsWith('.yml'))
      .sort()
      .map((name) => `${folder}/${name}`);
  return [...inFolder('policies'), ...inFolder('reference')];
}

/**
 * Every schema the package compiles by itself: the schemas the loader checks configs and packs against,
 * the document and audit-entry schemas, and the conditions and field schemas of the built-in packs.
 */
export function packageSchemas(): object[] {
  const rules = yamlAssets()
    .filter((path) => path.startsWith('policies/'))
    .flatMap((path) => (parsed(path).value as { rules: { when?: object; schema?: object }[] }).rules);
  return [
    configSchema(RULE_ENVELOPE),
    policySchema(RULE_ENVELOPE),
    ...[...RULE_KINDS.keys()].map(ruleKindSchema),
    ...[...Object.values(SCHEMA_FILES), GOVERNANCE_SCHEMA, 'schemas/audit-entry.schema.json'].map((file) =>
      readJsonAsset<object>(file),
    ),
    soaSchema(),
    ...rules.flatMap((rule) => [rule.when, rule.schema].filter((schema) => schema !== undefined)),
  ];
}

function parsed(path: string): ParsedData {
  const result = parseData(readAsset(path));
  if ('problem' in result) throw new Error(`${path}:${result.problem.line}: ${result.problem.message}`);
  return result.data;
}

/** Each value's pointer in a parsed document, with the position `locate` gives for it. */
function positions(data: ParsedData): [string, number[]][] {
  const out: [string, number[]][] = [];
  const walk = (value: unknown, pointer: Pointer) => {
    const { line, column } = data.locate(pointer);
    out.push([pointerKey(pointer), column === undefined ? [line] : [line, column]]);
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value))
      walk(child, [...pointer, Array.isArray(value) ? Number(key) : key]);
  };
  walk(data.value, []);
  return out;
}

/**
 * The text of generated/precompiled.js: Ajv standalone validators of packageSchemas(), each exported under its
 * schemaKey, and the YAML data files parsed, each with the SHA-256 of the text it was parsed from.
 */
export async function precompiledSource(): Promise<string> {
  const ajv = createAjv({ code: { source: true, esm: true } });
  const exports: Record<string, string> = {};
  for (const schema of packageSchemas()) {
    const key = schemaKey(JSON.stringify(schema));
    if (exports[key]) continue;
    ajv.addSchema(schema, key);
    exports[key] = key;
  }
  // Standalone code still require()s Ajv's runtime helpers (formats, equal, ucs2length), CommonJS modules
  // that each importer unwraps its own way: bundled in, they are the same wherever the file is loaded.
  const bundled = await build({
    stdin: { contents: standaloneCode(ajv, exports), resolveDir: PACKAGE_ROOT, loader: 'js' },
    // The modules' paths are in the output: as a fresh clone has them, wherever node_modules really is.
    absWorkingDir: PACKAGE_ROOT,
    preserveSymlinks: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    legalComments: 'none',
    // Read by machines only, and by each start: as short as it can be.
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  const assets: Record<string, { sha256: string; data: string }> = {};
  for (const path of yamlAssets()) {
    const data = parsed(path);
    // A pack stored here is not checked again at run time (addPack): it is checked now, or nothing is written.
    if (path.startsWith('policies/')) await checkPack(data, path);
    // Only what JSON carries unchanged can be stored as JSON.
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(data.value)), data.value)) continue;
    assets[path] = {
      sha256: sha256Text(readAsset(path)),
      data: JSON.stringify({ value: data.value, positions: positions(data) }),
    };
  }
  return [
    '// Generated by `npm run schemas` (src/precompile.ts): do not edit. A test keeps it current.',
    '// Ajv standalone validators of the schemas the package ships, each under the SHA-256 of its JSON, and its',
    '// YAML data files parsed, each with the SHA-256 of its text: a schema or file that changed since misses.',
    bundled.outputFiles[0]!.text.trimEnd(),
    `export const assets = ${JSON.stringify(assets, null, 1)};`,
    '',
  ].join('\n');
}
