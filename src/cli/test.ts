import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import { evaluate } from '../evaluate.js';
import { POLICY_TESTS } from '../inventory.js';
import { parseData } from '../parse/yaml.js';
import { printableText } from '../report/printable.js';
import { plural } from '../report/words.js';
import { LocalSource } from '../sources/local.js';
import type { Finding } from '../types.js';
import { locate } from './context.js';
import type { Output } from './main.js';
import { parseCommand } from './options.js';

/** What a case expects: a rule id, or a rule with the system, line or message text it must have. */
type Expected = string | { rule: string; system?: string; line?: number; message?: string };

/**
 * `aims-gate test [dir]`: the repository's policy (its config and the packs it names) run against fixture
 * repositories, each folder of `dir` (default `policy-tests`) one case holding documents laid out as the
 * config's `systems` expect and an `expect.yml` listing every finding it must produce, as `conftest verify`
 * runs Rego tests. A case passes when the findings are exactly those expected: one missing or one more fails it.
 */
export async function test(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, { config: { type: 'string', short: 'c' } });
  const { root } = locate('.');
  const dir = join(process.cwd(), positionals[0] ?? POLICY_TESTS);
  const cases = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory());
  if (cases.length === 0)
    throw new UsageError(
      `no test cases in ${relative(process.cwd(), dir) || '.'}: each case is a folder with documents and an expect.yml`,
    );
  let failed = 0;
  for (const { name } of cases.sort((a, b) => a.name.localeCompare(b.name))) {
    const folder = join(dir, name);
    const expectation = await readExpectation(join(folder, 'expect.yml'));
    const evaluation = await evaluate({
      source: new LocalSource(folder),
      policySource: new LocalSource(root),
      configPath: values.config,
      today: expectation.today ?? '2026-01-01',
    });
    const problems = evaluation.systems.length
      ? compare(expectation.findings, evaluation.findings)
      : [
          'the case holds no AI system, so it checked nothing: lay its documents out as the systems patterns expect',
        ];
    if (problems.length) failed++;
    io.out(`${problems.length ? 'FAIL' : 'PASS'}  ${name}\n`);
    for (const problem of problems) io.out(`      ${printableText(problem)}\n`);
  }
  io.out(
    `\n${plural(cases.length, 'case')}: ${cases.length - failed} passed, ${failed} failed (policy: ${relative(process.cwd(), root) || 'this repository'})\n`,
  );
  return failed ? 1 : 0;
}

async function readExpectation(path: string): Promise<{ findings: Expected[]; today?: string }> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new UsageError(
      `${path} is missing: list the findings the case must produce (findings: [] for none)`,
    );
  });
  const parsed = parseData(text);
  if ('problem' in parsed)
    throw new UsageError(`${path}:${parsed.problem.line ?? 1}: ${parsed.problem.message}`);
  const value = parsed.data.value as { findings?: unknown; today?: unknown };
  if (!value || !Array.isArray(value.findings))
    throw new UsageError(`${path}: write "findings:" as a list of rule ids or {rule, system, line, message}`);
  return {
    findings: value.findings as Expected[],
    ...(typeof value.today === 'string' ? { today: value.today } : {}),
  };
}

/** Each expected finding matched to a distinct actual one; whatever is left on either side is a problem. */
function compare(expected: Expected[], actual: Finding[]): string[] {
  const left = [...actual];
  const problems: string[] = [];
  for (const want of expected) {
    const spec = typeof want === 'string' ? { rule: want } : want;
    const i = left.findIndex(
      (f) =>
        f.rule === spec.rule &&
        (spec.system === undefined || f.system === spec.system) &&
        (spec.line === undefined || f.line === spec.line) &&
        (spec.message === undefined || f.message.includes(spec.message)),
    );
    if (i < 0) problems.push(`expected ${describe(spec)}, not found`);
    else left.splice(i, 1);
  }
  for (const f of left)
    problems.push(
      `unexpected ${f.rule}${f.path ? ` at ${f.path}${f.line ? `:${f.line}` : ''}` : ''}: ${f.message}`,
    );
  return problems;
}

function describe(spec: { rule: string; system?: string; line?: number; message?: string }): string {
  const details = [
    spec.system && `system ${spec.system}`,
    spec.line && `line ${spec.line}`,
    spec.message && `"${spec.message}"`,
  ].filter(Boolean);
  return `${spec.rule}${details.length ? ` (${details.join(', ')})` : ''}`;
}
