// Hostile YAML through the document parser: each shape in its own process, its time and the memory it cost
// (peak RSS over the RSS before parsing), then `check` of eight 1 MiB alias-heavy cards in one pull request.
// Aims (issue 24): a 1 MiB document costs at most 50 MiB and 0.5 s; the eight cards stay under 300 MiB and 5 s.
// Run after `npm run build`: `node bench/hostile-yaml.js` (bench/run.js calls it).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;
const { LIMITS } = await import('../lib/limits.js');
const NODES = LIMITS.maxYamlNodes;

/** Fills up to `bytes` with `unit`, after `head` and before `tail`. */
const fill = (head, unit, tail, bytes = MiB - 64) =>
  head + unit.repeat(Math.floor((bytes - head.length - tail.length) / unit.length)) + tail;

/** Nine strings, then nine levels that each alias the level before nine times: 9^10 strings written out. */
const laughs = () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n# `;
};

const SHAPES = {
  'aliases, flow list': () => fill('a: &a x\nb: [', '*a, ', '*a]\n'),
  'aliases, block list': () => fill('a: &a x\nb:\n', '  - *a\n', ''),
  'billion laughs (9^10)': () => laughs(),
  'billion laughs + 1 MiB comment': () => fill(laughs(), 'y', '\n'),
  'flow list of 1-byte scalars': () => fill('[', '1,', '1]'),
  'empty list items': () => fill('', '-\n', ''),
  '1,000 levels of "["': () => `${'['.repeat(1000)}${']'.repeat(1000)}`,
  '1 MiB of "[" ': () => '['.repeat(MiB - 64),
  '1,000 levels of indentation': () => {
    let text = '';
    for (let i = 0; i < 1000; i++) text += `${' '.repeat(i)}k:\n`;
    return text;
  },
  'mapping just under the node bound': () => {
    let text = '';
    for (let i = 0; i < NODES / 2 - 1; i++) text += `k${i}: ${i}\n`;
    return text;
  },
  'flow list just under the node bound': () => `[${'1,'.repeat(NODES - 3)}1]`,
  '1 MiB quoted string': () => fill('pad: "', 'y', '"\n'),
  'mapping of 1 MiB of keys': () => {
    let text = '';
    for (let i = 0; text.length < MiB - 64; i++) text += `k${i}: ${i}\n`;
    return text;
  },
};

/** A model card whose front matter is one anchor and about 1 MiB of its aliases. */
const aliasCard = (i) =>
  `---\nlicense: mit\nanchor: &a {name: x${i}}\nused: [${'*a, '.repeat((MiB - 200) / 4)}*a]\n---\n# Card\n`;

if (process.argv[2] === '--shape') {
  const { parseData } = await import('../lib/parse/yaml.js');
  const text = SHAPES[process.argv[3]]();
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const start = performance.now();
  const result = parseData(text);
  const ms = performance.now() - start;
  const costMiB = (process.resourceUsage().maxRSS * 1024 - before) / MiB;
  console.log(
    JSON.stringify({ bytes: text.length, ms, costMiB, answer: result.problem?.message ?? 'parsed' }),
  );
} else if (process.argv[2] === '--check') {
  const { main } = await import('../lib/cli/main.js');
  const start = performance.now();
  let out = '';
  await main(['check', process.argv[3], '--format', 'json', '--today', '2026-11-01'], {
    out: (text) => {
      out += text;
    },
    err: (text) => process.stderr.write(text),
    color: false,
  });
  const ms = performance.now() - start;
  const problems = JSON.parse(out).findings.filter((f) => f.message.startsWith('cannot be read'));
  console.log(
    JSON.stringify({
      ms,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      answers: [...new Set(problems.map((f) => f.message))],
    }),
  );
} else {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS; // the same environment for every run; it slows start-up, not parsing
  const run = (args) => {
    const result = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env,
      maxBuffer: 1 << 26,
    });
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  console.log(
    `hostile YAML, one process per shape (load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores; aim per 1 MiB document: at most 50 MiB and 500 ms)`,
  );
  for (const shape of Object.keys(SHAPES)) {
    const r = run(['--shape', shape]);
    console.log(
      `  ${shape.padEnd(32)} ${(r.bytes / 1024).toFixed(0).padStart(5)} KiB ${r.ms.toFixed(0).padStart(5)} ms ${r.costMiB.toFixed(1).padStart(6)} MiB  ${r.answer}`,
    );
  }
  const folder = join(ROOT, '.bench/hostile-cards');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(join(folder, '.github'), { recursive: true });
  writeFileSync(join(folder, '.github/aims-gate.yml'), 'systems: [models/*]\n');
  for (let i = 0; i < 8; i++) {
    mkdirSync(join(folder, `models/m${i}`), { recursive: true });
    writeFileSync(join(folder, `models/m${i}/MODEL_CARD.md`), aliasCard(i));
  }
  const check = run(['--check', folder]);
  console.log(
    `  check of eight 1 MiB alias-heavy cards: ${check.ms.toFixed(0)} ms, peak RSS ${check.peakRssMiB.toFixed(0)} MiB (aim: under 5 s and 300 MiB); ${check.answers.join('; ') || 'no document refused'}`,
  );
}
