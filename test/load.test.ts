import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** Runs ES module code against the built lib/ (as bin/aims-gate.js does), in a plain Node. */
function node(code: string): string {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout.trim();
}

describe('the CLI bundle (lib/cli.cjs) and its code cache, from `npm run build`', () => {
  const script = (code: string, cache: string) => `
    import { readFileSync } from 'node:fs';
    import { BUNDLE, CODE_CACHE, bundleScript } from './lib/cli/load.cjs';
    const script = bundleScript(${code}, ${cache});
    console.log(JSON.stringify({ rejected: script.cachedDataRejected ?? 'not given' }));`;

  it("is loaded with V8's code cache, which V8 accepts", () => {
    expect(JSON.parse(node(script('readFileSync(BUNDLE)', 'readFileSync(CODE_CACHE)')))).toEqual({
      rejected: false,
    });
  });

  it('is never given the cache of another build, even one of the same length', () => {
    const other = "Buffer.from(readFileSync(BUNDLE, 'latin1').replace('aims-gate', 'aims-gafe'), 'latin1')";
    expect(JSON.parse(node(script(other, 'readFileSync(CODE_CACHE)')))).toEqual({ rejected: 'not given' });
  });

  it('is never given a damaged cache: a byte flipped anywhere in it, which V8 would read unchecked', () => {
    for (const at of [40, 1000, 50_000])
      expect(
        JSON.parse(
          node(
            script(
              'readFileSync(BUNDLE)',
              `(() => { const c = readFileSync(CODE_CACHE); c[${at}] ^= 1; return c; })()`,
            ),
          ),
        ),
      ).toEqual({ rejected: 'not given' });
  });

  it('runs the same commands as the modules it is built from', () => {
    const run = (from: string) =>
      node(`
        ${from}
        const out = [];
        const io = { out: (t) => out.push(t), err: (t) => out.push(t), color: false };
        const code = await main(['check', 'examples/ml-platform', '--today', '2026-11-01', '--format', 'json'], io);
        console.log(JSON.stringify({ code, out: out.join('') }));`);
    const bundled = run("import { loadMain } from './lib/cli/load.cjs'; const main = await loadMain();");
    const modules = run("import { main } from './lib/cli/main.js';");
    expect(JSON.parse(bundled)).toEqual(JSON.parse(modules));
    expect(JSON.parse(bundled).code).toBe(1);
  });
});
