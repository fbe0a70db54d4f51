// npm run bench:cards -- DIR [--findings FILE]: the check over every model card in a folder, one system per
// card (models/<name>/README.md, the baseline pack), as a team that drops real cards into aims-gate would see it.
// Prints cards read, crashes, time per card and findings per rule; --findings writes every card.* finding as a
// JSON line, to draw a sample from and judge by reading the card.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { evaluate } from '../src/evaluate.js';
import { MemorySource } from '../src/source.js';

const [dir, ...rest] = process.argv.slice(2);
if (!dir) {
  console.error('usage: npm run bench:cards -- DIR [--findings FILE]');
  process.exit(2);
}
const findingsFile = rest[rest.indexOf('--findings') + 1];
const names = readdirSync(dir)
  .filter((n) => /\.md$/i.test(n))
  .sort();
const perRule = new Map<string, number>();
const times: number[] = [];
let slowest = { name: '', ms: 0 };
const lines: string[] = [];
let crashes = 0;
for (const name of names) {
  const text = readFileSync(join(dir, name));
  const system = basename(name, '.md').replace(/[^A-Za-z0-9._-]/g, '_');
  const source = new MemorySource({
    '.github/aims-gate.yml': 'systems: [models/*]\n',
    [`models/${system}/README.md`]: text,
  });
  const start = performance.now();
  try {
    const evaluation = await evaluate({ source, today: '2026-11-01' });
    const ms = performance.now() - start;
    times.push(ms);
    if (ms > slowest.ms) slowest = { name, ms };
    for (const f of evaluation.findings) {
      perRule.set(f.rule, (perRule.get(f.rule) ?? 0) + 1);
      if (f.rule.startsWith('card.'))
        lines.push(
          JSON.stringify({
            card: name,
            rule: f.rule,
            severity: f.severity,
            line: f.line,
            message: f.message,
          }),
        );
    }
  } catch (error) {
    crashes++;
    console.error(`crash on ${name}: ${(error as Error).stack}`);
  }
}
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
console.log(`cards read: ${names.length}, crashes: ${crashes}`);
console.log(
  `time per card: mean ${(times.reduce((a, b) => a + b, 0) / Math.max(1, times.length)).toFixed(2)} ms, p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms, max ${at(1).toFixed(2)} ms`,
);
console.log(
  `slowest: ${slowest.name} (${slowest.ms.toFixed(0)} ms, ${readFileSync(join(dir, slowest.name)).length} bytes)`,
);
console.log('findings per rule:');
for (const [rule, n] of [...perRule].sort((a, b) => b[1] - a[1]))
  console.log(`  ${String(n).padStart(6)}  ${rule}`);
if (findingsFile) {
  writeFileSync(findingsFile, `${lines.join('\n')}\n`);
  console.log(`${lines.length} card.* findings written to ${findingsFile}`);
}
