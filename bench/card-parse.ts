// Adversarial model cards: each shape at 1, 2 and 5 MB through the card parser (past the 1 MiB file limit
// that normally refuses them, to show the parser itself is linear). Prints one JSON line: ms per shape and size.
import { parseModelCard } from '../src/documents/model-card.js';

const MB = 1024 * 1024;
const SHAPES: Record<string, (bytes: number) => string> = {
  'unclosed <!--': (n) => '# Card\n\n'.concat('<!--'.repeat(n / 4)),
  '# lines': (n) => '#\n'.repeat(n / 2),
  'nested headings': (n) =>
    Array.from({ length: n / 40 }, (_, i) => `${'#'.repeat((i % 6) + 1)} Limitations ${i}\n\ntext\n`).join(
      '',
    ),
  '{{ unclosed': (n) => '## Limitations\n\n'.concat('{{'.repeat(n / 2)),
  'bold labels': (n) => '## Uses\n\n'.concat('**Out-of-scope:** x\n\n'.repeat(n / 21)),
  'placeholder lines': (n) =>
    '## Limitations\n\n'.concat('- **Known issue:** More information needed\n'.repeat(n / 43)),
  'quoted front matter': (n) =>
    `---\nwidget:\n- text: "${'word\n'.repeat(n / 5)}"\nlicense: mit\n---\n# Card\n`,
  brackets: (n) => '## Evaluation\n\n'.concat('[['.repeat(n / 2)),
  // Key-value rows are labels (spaCy's and Intel's tables); a header row of many cells and short rows under it
  // are what markdown-it bounds when it fills in the missing cells.
  'table rows': (n) =>
    '| Feature | Description |\n| --- | --- |\n'.concat('| **Author** | x |\n'.repeat(n / 18)),
  'wide table': (n) => `${'| a '.repeat(n / 8)}|\n${'| - '.repeat(n / 8)}|\n${'|\n'.repeat(n / 4)}`,
  // The shape of a real Hub card (skops widgets): many small keys in the front matter. Bound by the yaml library.
  'large front matter': (n) =>
    `---\nwidget:\n${Array.from({ length: n / 24 }, (_, i) => `  x${i}:\n  - 0.0\n  - 0.0\n`).join('')}---\n# Card\n`,
};

const results: Record<string, Record<string, number>> = {};
for (const [shape, make] of Object.entries(SHAPES)) {
  results[shape] = {};
  for (const size of [1, 2, 5]) {
    const text = make(size * MB);
    const start = performance.now();
    parseModelCard('README.md', text);
    results[shape]![`${size}MB`] = performance.now() - start;
  }
}
console.log(JSON.stringify(results));
