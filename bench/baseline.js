// The floor `check` is measured against: what any tool must do with the same files, and nothing else. It
// reads every governance document of the monorepo, YAML-parses each assessment and each model card's front
// matter, and runs markdown-it over each card's body, as aims-gate's card parser does (CommonMark, the
// tokens of its blocks and their inline content). Usage: node bench/baseline.js DIR
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { parse } from 'yaml';

const markdown = new MarkdownIt('commonmark').enable('table'); // GFM tables, as the Hub renders cards
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
      if (entry.name.endsWith('.md')) {
        const end = text.indexOf('\n---\n', 4);
        parse(text.slice(4, end));
        markdown.parse(text.slice(end + 5), {});
      } else parse(text);
      parsed++;
    }),
  );
}
await walk(root);
console.log(parsed);
