// Writes schemas/policy.schema.json and schemas/config.schema.json from the rule kinds, governance.schema.json
// from the model card's, then src/precompiled.js
// (the package's schemas as standalone validators, its YAML data files parsed) from those (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { governanceSchema } from '../lib/documents/governance.js';
import { configSchema, policySchema } from '../lib/policy/schema.js';
import { soaSchema } from '../lib/soa.js';

for (const [file, schema] of [
  ['schemas/policy.schema.json', policySchema()],
  ['schemas/config.schema.json', configSchema()],
  ['schemas/statement-of-applicability.schema.json', soaSchema()],
  ['schemas/governance.schema.json', governanceSchema()],
]) {
  writeFileSync(new URL(`../${file}`, import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

// Imported after the schemas are written: it reads them.
const { precompiledSource } = await import('../lib/precompile.js');
writeFileSync(new URL('../src/precompiled.js', import.meta.url), await precompiledSource());
console.log('wrote src/precompiled.js');
