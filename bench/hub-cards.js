// A repository of N AI systems whose model cards are real Hugging Face Hub cards (README.md, front matter and
// Markdown as their authors wrote them): the shape of the 25,109-card public snapshot Wenxin-Jiang/CS577-NLP,
// made from the sample of it in the shared corpus, each card used again under another name when N is larger.
// Usage: node bench/hub-cards.js DIR N [CORPUS]
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HUB_SNAPSHOT_CARDS = 25_109;
export const CORPUS = process.env.AIMS_GATE_CARDS ?? '/work/shared/corpus/hub-model-cards';

/** Writes `systems` folders models/<name>/README.md; returns how many cards the corpus had. */
export function generateHubRepo(root, systems, corpus = CORPUS) {
  const names = readdirSync(corpus)
    .filter((n) => /\.md$/i.test(n))
    .sort();
  if (names.length === 0) throw new Error(`no model cards (*.md) in ${corpus}`);
  const cards = names.map((name) => readFileSync(join(corpus, name)));
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, '.github'), { recursive: true });
  writeFileSync(join(root, '.github/aims-gate.yml'), 'systems: [models/*]\n');
  for (let i = 0; i < systems; i++) {
    const k = i % names.length;
    const round = Math.floor(i / names.length);
    // A folder name as bench/cards.ts makes it, with the round so that every copy is its own system.
    const base = names[k].replace(/_README\.md$/i, '').replace(/[^A-Za-z0-9._-]/g, '_');
    const dir = join(root, 'models', round ? `${base}-${round}` : base);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'README.md'), cards[k]);
  }
  return names.length;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, n = String(HUB_SNAPSHOT_CARDS), corpus] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node bench/hub-cards.js DIR [N] [CORPUS]');
    process.exit(2);
  }
  const start = performance.now();
  const sample = generateHubRepo(dir, Number(n), corpus);
  console.log(
    JSON.stringify({
      dir,
      systems: Number(n),
      corpusCards: sample,
      ms: Math.round(performance.now() - start),
    }),
  );
}
