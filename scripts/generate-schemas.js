// Writes schemas/policy.schema.json and schemas/config.schema.json from the rule kinds (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { configSchema, policySchema } from '../lib/policy/schema.js';

for (const [file, schema] of [
  ['schemas/policy.schema.json', policySchema()],
  ['schemas/config.schema.json', configSchema()],
]) {
  writeFileSync(new URL(`../${file}`, import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
