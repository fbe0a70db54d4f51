import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { asciiOnly, lazy } from '../../scripts/bundling.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** CODE bundled as the CLI and the Action are (libraries behind lazy stubs, ASCII only), run by a plain Node. */
async function runBundled(code: string): Promise<string> {
  const result = await build({
    stdin: { contents: code, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    logLevel: 'warning',
    plugins: [lazy],
  });
  const text = asciiOnly(result.outputFiles[0]!.text);
  expect(text).not.toMatch(/[^\p{ASCII}]/u);
  // linkify-it behind its stub, made when first used.
  expect(text).toContain('function Lazy(');
  const run = spawnSync(process.execPath, ['-'], { input: text, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr || String(run.error));
  return run.stdout;
}

describe('libraries loaded at their first use (scripts/bundling.js)', () => {
  it('work as loaded at start: markdown-it decodes entities and finds links through the stubs', async () => {
    const out = await runBundled(`
      import MarkdownIt from 'markdown-it';
      const md = new MarkdownIt({ linkify: true });
      md.linkify.set({ fuzzyEmail: false });
      console.log(md.render('see www.example.org &amp; &copy; “quoted” a@b.org'));`);
    expect(out.trim()).toBe(
      '<p>see <a href="http://www.example.org">www.example.org</a> &amp; © “quoted” a@b.org</p>',
    );
  });
});
