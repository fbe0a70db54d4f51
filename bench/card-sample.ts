// npm run bench:card-sample -- DIR --seed S [--n N] [--out FILE]: N cards of a folder drawn at random (seeded, so
// anyone can draw the same ones again), each printed for a reviewer: its headings and labels, then for every
// card.* rule of the baseline either the finding or, for a sections rule, the heading that satisfied it, so a
// false "has no" and a wrong match are both quick to see. Under each "has no" finding, the card's lines that use
// that section's words (plain prose included), to read before judging. Judge in docs/card-accuracy.md.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseModelCard, splitFrontMatter } from '../src/documents/model-card.js';
import type { ModelCard } from '../src/documents/types.js';
import { evaluate } from '../src/evaluate.js';
import { loadPolicy } from '../src/policy/load.js';
import { findSection, type SectionSpec, sectionSpec } from '../src/rules/sections.js';
import { MemorySource } from '../src/source.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const dir = args[0];
const seed = Number(option('--seed'));
const n = Number(option('--n') ?? 50);
if (!dir || dir.startsWith('--') || !Number.isInteger(seed) || !Number.isInteger(n) || n < 1) {
  console.error('usage: npm run bench:card-sample -- DIR --seed S [--n N] [--out FILE]');
  process.exit(2);
}

/**
 * The draw bench/README.md describes for the earlier samples: s = (s·1103515245 + 12345) mod 2³¹, index
 * ⌊s/2³¹·n⌋, repeats skipped. Math.imul keeps the low 32 bits of the product, all the modulus needs.
 */
export function draw(count: number, of: number, from: number): number[] {
  const picked: number[] = [];
  const seen = new Set<number>();
  let s = from % 2 ** 31;
  while (picked.length < Math.min(count, of)) {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    const index = Math.floor((s / 2 ** 31) * of);
    if (!seen.has(index)) {
      seen.add(index);
      picked.push(index);
    }
  }
  return picked;
}

/** Words a reader looks for when a section is said to be missing, by the section's name. */
const HINTS: Record<string, RegExp> = {
  'Direct Use':
    /intended|\buse (?:it|this|the model)|can be used|is (?:meant|designed) for|how to use|use case|used for|purpose/i,
  'Out-of-Scope Use':
    /not (?:be )?(?:intended|suitable|meant|designed|allowed)|should not|must not|out.of.scope|misuse|prohibit|do not use|can't use|cannot use|forbidden/i,
  'Bias, Risks, and Limitations':
    /limitation|bias|risk|warning|caveat|disclaimer|not suitable|ethic|harm|toxic|offensive|issue|problem|may not|tends to|fail/i,
  'Training Data': /dataset|trained on|fine-?tuned on|training data|corpus|corpora|data ?set|trained with/i,
  Evaluation:
    /evaluat|accuracy|\bf1\b|f-score|score|result|benchmark|metric|perplexity|\bloss\b|bleu|rouge|\bwer\b/i,
  'Model Card Contact':
    /contact|e-?mail|discord|twitter|issue|question|feedback|credit|created by|author|maintain|reach|support|@/i,
  'Environmental Impact': /\bgpu|\btpu|hardware|carbon|co2|emission|hours|a100|v100|\bt4\b|compute/i,
  'Event Logging': /\blog(?:s|ging)?\b/i,
};

const names = readdirSync(dir)
  .filter((name) => /\.md$/i.test(name))
  .sort();
const policy = await loadPolicy(new MemorySource({}));
const sectionRules = policy.rules.filter((rule) => rule.kind === 'sections');
const out: string[] = [
  `# ${n} of ${names.length} cards in ${dir}, seed ${seed}`,
  `# Judge each finding: true, false (the card says it under a heading or label, or the reverse), or by design (only in unlabelled prose).`,
];
const totals = new Map<string, number>();
for (const [i, index] of draw(n, names.length, seed).entries()) {
  const name = names[index]!;
  const text = readFileSync(join(dir, name), 'utf8');
  const system = basename(name, '.md').replace(/[^A-Za-z0-9._-]/g, '_');
  const path = `models/${system}/README.md`;
  const evaluation = await evaluate({
    source: new MemorySource({ '.github/aims-gate.yml': 'systems: [models/*]\n', [path]: text }),
    today: '2026-11-01',
  });
  const findings = evaluation.findings.filter((f) => f.rule.startsWith('card.'));
  for (const f of findings) totals.set(f.rule, (totals.get(f.rule) ?? 0) + 1);
  out.push('', `=== ${i + 1}. ${name} (${text.length} chars, ${findings.length} card.* findings)`);
  const parsed = parseModelCard(path, text.replace(/\r\n?/g, '\n').replace(/^\ufeff/, ''));
  if ('problem' in parsed) {
    out.push(`  unreadable: ${parsed.problem.message}`);
  } else {
    const meta = (parsed.data.value ?? {}) as Record<string, unknown>;
    const facts = ['license', 'datasets', 'library_name', 'pipeline_tag']
      .filter((key) => meta[key] !== undefined)
      .map((key) => `${key}=${JSON.stringify(meta[key]).slice(0, 60)}`);
    out.push(
      `  front matter: ${facts.join(' ') || '(none of license, datasets…)'}; metrics: ${parsed.metrics.length}`,
    );
    out.push(
      `  sections: ${[...parsed.sections.values()].map((s) => `L${s.line} "${s.title.slice(0, 50)}" (${s.content.length})`).join(' | ') || '(none)'}`,
    );
    const card = { ...parsed, path } as ModelCard;
    // Hints come from the Markdown only: the front matter's keys are listed above.
    const front = splitFrontMatter(text);
    const bodyLine = 'problem' in front ? 1 : front.bodyLine;
    const lines = text.split('\n');
    const missing: string[] = [];
    for (const rule of sectionRules) {
      if (!applies(evaluation, rule.id)) continue;
      const specs = (rule.sections as (string | SectionSpec)[]).map(sectionSpec);
      for (const spec of specs) {
        const found = findSection(card, spec, specs);
        const finding = findings.find(
          (f) =>
            f.rule === rule.id &&
            (f.message.includes(`"${spec.name}"`) || (found && f.message.includes(`"${found.title}"`))),
        );
        if (!finding) {
          out.push(
            `  ✓ ${rule.id} ${spec.name} ← ${found ? `L${found.line} "${found.title}" (${found.content.length} chars)` : 'front matter'}`,
          );
          continue;
        }
        const hits = lines
          .map((line, at) => ({ line: line.trim(), at: at + 1 }))
          .filter(({ line, at }) => at >= bodyLine && HINTS[spec.name]?.test(line))
          .slice(0, 3);
        if (/has no/.test(finding.message) && hits.length === 0) {
          missing.push(`${spec.name} (${rule.id})`);
          continue;
        }
        out.push(`  ✗ ${rule.id} [${finding.severity}] ${finding.message}`);
        for (const hit of hits) out.push(`      ? L${hit.at}: ${hit.line.slice(0, 140)}`);
      }
    }
    if (missing.length) out.push(`  ✗ has no, and no line uses its words: ${missing.join(', ')}`);
  }
  const others = findings.filter((f) => !sectionRules.some((rule) => rule.id === f.rule));
  if (others.length)
    out.push(
      `  ✗ ${others.map((f) => `${f.rule}${f.rule === 'card.governance' ? '' : `: ${f.message.slice(0, 100)}`}`).join('; ')}`,
    );
}
out.push('', `# card.* findings in the sample: ${[...totals.values()].reduce((a, b) => a + b, 0)}`);
for (const [rule, count] of [...totals].sort((a, b) => b[1] - a[1]))
  out.push(`#   ${String(count).padStart(5)}  ${rule}`);
const file = option('--out');
if (file) writeFileSync(file, `${out.join('\n')}\n`);
else console.log(out.join('\n'));

/** Whether the rule ran on the system (a tier-limited rule does not on a card that states no tier). */
function applies(evaluation: Awaited<ReturnType<typeof evaluate>>, rule: string): boolean {
  return evaluation.rules.find((r) => r.id === rule)?.appliedTo?.length !== 0;
}
