import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Runs ES module code against the built lib/ (as bin/aims-gate.js does), in a plain Node. */
function node(code: string): string {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout.trim();
}

describe('the CLI bundle (lib/cli.cjs), from `npm run build`', () => {
  it('runs the same commands as the modules it is built from', () => {
    const run = (from: string) =>
      node(`
        ${from}
        const out = [];
        const io = { out: (t) => out.push(t), err: (t) => out.push(t), color: false };
        const code = await main(['check', 'examples/ml-platform', '--today', '2026-11-01', '--format', 'json'], io);
        console.log(JSON.stringify({ code, out: out.join('') }));`);
    const bundled = run("import { main } from './lib/cli.cjs';");
    const modules = run("import { main } from './lib/cli/main.js';");
    expect(JSON.parse(bundled)).toEqual(JSON.parse(modules));
    expect(JSON.parse(bundled).code).toBe(1);
  });

  it('is what bin/aims-gate.js runs, and a broken or missing one is an error naming it, never a fallback', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aims-gate-bin-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'lib'));
    for (const file of ['aims-gate.js', 'package.json'])
      copyFileSync(join(ROOT, 'bin', file), join(dir, 'bin', file));
    const bin = () =>
      spawnSync(process.execPath, [join(dir, 'bin/aims-gate.js'), '--version'], { encoding: 'utf8' });

    const missing = bin();
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("Cannot find module '../lib/cli.cjs'");

    // A build cut short: the file is there, its end is not.
    writeFileSync(join(dir, 'lib/cli.cjs'), 'exports.main = async function main(args) {\n');
    const broken = bin();
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain(join(dir, 'lib/cli.cjs'));
    expect(broken.stderr).toContain('SyntaxError');

    writeFileSync(
      join(dir, 'lib/cli.cjs'),
      'exports.main = async (args) => (console.log(args.join(" ")), 0);\n',
    );
    expect(bin()).toMatchObject({ status: 0, stdout: '--version\n' });
  });

  it("loads a command's file when the command runs, and a broken one is an error naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'aims-gate-chunk-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'lib'));
    for (const file of ['aims-gate.js', 'package.json'])
      copyFileSync(join(ROOT, 'bin', file), join(dir, 'bin', file));
    for (const file of ['cli.cjs', 'cli-errors.cjs'])
      copyFileSync(join(ROOT, 'lib', file), join(dir, 'lib', file));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(dir, 'bin/aims-gate.js'), ...args], { encoding: 'utf8' });

    // Usage needs only the entry: the commands' files are not read.
    expect(run('--help')).toMatchObject({ status: 0 });
    writeFileSync(join(dir, 'lib/cli-check.cjs'), 'exports.check = async function check(args) {\n');
    const broken = run('check', '.');
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain("cannot load the CLI's code");
    expect(broken.stderr).toContain(join(dir, 'lib/cli-check.cjs'));
    expect(broken.stderr).toContain('SyntaxError');
  });
});
