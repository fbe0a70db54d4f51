import { ConfigError, UsageError } from '../errors.js';
import { evaluate } from '../evaluate.js';
import { printable } from '../report/printable.js';
import { location, plural } from '../report/words.js';
import { LocalSource } from '../sources/local.js';
import { locate, noSystemsFound } from './context.js';
import type { Output } from './main.js';
import { parseCommand, today } from './options.js';

/**
 * Whether the configuration, the policy packs it names and every governance document parse and match their
 * schemas, with every problem at once and where it is: what to run before `check`, or in an editor's save hook.
 * Policy findings (a missing section, a risk score) are `check`'s business, not this command's.
 */
export async function validate(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, { config: { type: 'string', short: 'c' } });
  const { root, scope } = locate(positionals[0]);
  let evaluation: Awaited<ReturnType<typeof evaluate>>;
  try {
    evaluation = await evaluate({
      source: new LocalSource(root),
      configPath: values.config,
      ...(scope ? { scope } : {}),
      today: today(undefined),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.out(
      `${error.toString()}\ninvalid: the configuration (${plural(1 + error.others.length, 'problem')})\n`,
    );
    return 2;
  }
  if (evaluation.systems.length === 0)
    throw new UsageError(
      `${noSystemsFound(root, scope, evaluation.policy.configPath)}; nothing was validated`,
    );
  const kinds = new Map(evaluation.rules.map((r) => [r.id, r.kind]));
  const problems = printable(
    evaluation.findings.filter(
      (f) => kinds.get(f.rule) === 'document-valid' || f.rule === 'inventory.governance-file',
    ),
  );
  for (const f of problems) io.out(`${location(f)}: ${f.message}\n  fix: ${f.remedy}\n`);
  // The Statement of Applicability: a schema problem makes it invalid; a TODO init wrote is listed, unfinished.
  const { statement } = evaluation;
  const soa = statement.problems.filter((p) => !p.unfinished);
  for (const p of statement.problems)
    io.out(
      `${p.unfinished ? 'note: ' : ''}${statement.path}${p.line ? `:${p.line}` : ''}: ${p.message}\n  fix: ${p.fix}\n`,
    );
  const invalid = problems.length + soa.length;
  const documents = evaluation.systems.reduce((n, s) => n + Object.keys(s.documents).length, 0);
  const what = `${evaluation.policy.configPath ?? 'the default configuration'}, ${plural(documents, 'document')} of ${plural(evaluation.systems.length, 'AI system')}`;
  const unfinished = statement.problems.length - soa.length;
  const todo = unfinished ? ` (${plural(unfinished, 'unfinished answer')} in ${statement.path})` : '';
  io.out(
    invalid ? `invalid: ${plural(invalid, 'problem')}, checking ${what}${todo}\n` : `valid: ${what}${todo}\n`,
  );
  return invalid ? 1 : 0;
}
