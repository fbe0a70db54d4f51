// The floor aims-gate is measured against: read every governance document of the monorepo and YAML-parse it
// (a model card's front matter), with nothing else. Usage: node bench/baseline.js DIR
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = process.argv[2];
const names = new Set(['MODEL_CARD.md', 'risk-assessment.yml', 'impact-assessment.yml']);
let parsed = 0;
async function walk(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) return walk(full);
      if (!names.has(entry.name)) return;
      const text = await readFile(full, 'utf8');
      parse(entry.name.endsWith('.md') ? text.split('\n---\n')[0].slice(4) : text);
      parsed++;
    }),
  );
}
await walk(root);
console.log(parsed);
