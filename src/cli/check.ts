import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { formatCheckpoint } from '../audit/entry.js';
import { evaluationEvents } from '../audit/events.js';
import { recordAll } from '../audit/store.js';
import { UsageError } from '../errors.js';
import { evaluateStream } from '../evaluate.js';
import { batched, FORMATS, type Format, renderChunks } from '../report/index.js';
import { withoutWorkflowCommands } from '../report/printable.js';
import { plural, verdictLine } from '../report/words.js';
import { changedSince, GitSource, git } from '../sources/git.js';
import { LocalSource } from '../sources/local.js';
import { collectEvaluation, streamOf } from '../stream.js';
import { type Evaluation, FAIL_ON } from '../types.js';
import { VERSION } from '../version.js';
import { fileStoreFor, locate, noSystemsFound, shown, whoAndWhere, writeOutput } from './context.js';
import type { Output } from './main.js';
import { choice, parseCommand, today } from './options.js';

/**
 * An evaluation recorded in the log opens and closes nonconformities, so it must be one of what is committed,
 * as of today, under the repository's own configuration: anything else could close a nonconformity that was
 * never fixed.
 */
async function recordable(
  root: string,
  options: { today?: string; config?: string; base?: string; log?: string },
): Promise<void> {
  const refuse = (why: string) => {
    throw new UsageError(`--record ${why}`);
  };
  if (options.today) refuse('records an evaluation as of today: --today would backdate it');
  if (options.config)
    refuse(
      "evaluates with the repository's own configuration: -c would record a verdict under another policy",
    );
  if (options.base) refuse('records the state of the branch, not a change: drop --base');
  // The log itself changes with every record: it is not what is judged.
  const changed = await git(root, [
    'status',
    '--porcelain',
    '--untracked-files=all',
    '--',
    '.',
    ':!.aims-gate',
  ]).then(
    (out) => out.split('\n').filter((line) => line.trim() && !(options.log && line.includes(options.log))),
    () => undefined,
  );
  if (changed === undefined) refuse('records what is committed, and this is no git work tree');
  else if (changed.length)
    refuse(
      `records what is committed, and ${plural(changed.length, 'file')} ${changed.length === 1 ? 'differs' : 'differ'} from it (${changed[0]!.slice(3)}${changed.length > 1 ? ', …' : ''}): commit or stash them first`,
    );
}

/**
 * git status does not show an ignored file: a document kept out of git (ignored, or untracked and excluded) is
 * checked from disk, so a recorded evaluation would cite evidence no commit holds. Each must be in the index.
 */
async function committedEvidence(root: string, evaluation: Evaluation): Promise<void> {
  const tracked = new Set((await git(root, ['ls-files', '-z'])).split('\0'));
  const outside = evaluation.systems
    .flatMap((s) => s.evidence.map((e) => e.path))
    .filter((p) => !tracked.has(p));
  if (outside.length)
    throw new UsageError(
      `--record records what is committed, and ${outside[0]}${outside.length > 1 ? ` (and ${outside.length - 1} more)` : ''} is in no commit (ignored, or never added): git add it, or move it out of the system's folder`,
    );
}

export async function check(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    config: { type: 'string', short: 'c' },
    base: { type: 'string', short: 'b' },
    format: { type: 'string', short: 'f', default: 'text' },
    output: { type: 'string', short: 'o' },
    'fail-on': { type: 'string' },
    today: { type: 'string' },
    record: { type: 'boolean', default: false },
    log: { type: 'string' },
    'allow-empty': { type: 'boolean', default: false },
  });
  if (positionals.length > 1)
    throw new UsageError(`check takes one folder, got ${positionals.length}: ${positionals.join(' ')}`);
  const format = choice('format', values.format!, Object.keys(FORMATS) as Format[]);
  const failOn = values['fail-on'] === undefined ? undefined : choice('fail-on', values['fail-on'], FAIL_ON);

  const { root, scope } = locate(positionals[0]);
  // V8 lets its old generation fill with promoted garbage to several times what survives a collection before it
  // collects. A check holds one system at a time, so a tighter growth keeps its peak near what it holds: at
  // 25,109 Hub cards 1.2× the peak at 2,000 instead of 1.46×, in the same CPU time (bench/README.md). A
  // heuristic V8 reads at each collection, so setting it after start takes effect.
  setFlagsFromString('--heap-growing-percent=20');
  if (values.record) await recordable(root, values);
  const source = new LocalSource(root);
  const base = values.base ? await GitSource.resolve(root, values.base) : undefined;
  const judging = await evaluateStream({
    source,
    policySource: base,
    baseSource: base,
    configPath: values.config,
    changedFiles: base ? await changedSince(root, values.base!) : undefined,
    ...(scope ? { scope } : {}),
    today: today(values.today),
    failOn,
  });
  // Nothing checked is not a pass: a wrong folder, or patterns that match nothing, must not look green.
  if (judging.head.systems === 0 && !base && !values['allow-empty']) {
    throw new UsageError(
      `${noSystemsFound(root, scope, judging.head.policy.configPath)}; --allow-empty passes anyway`,
    );
  }

  // Each system is written as it is judged. A record needs every system's evidence and findings before
  // anything is written: the evaluation is taken whole.
  let output = judging;
  if (values.record) {
    const evaluation = await collectEvaluation(judging);
    await committedEvidence(root, evaluation);
    const store = fileStoreFor(root, values.log, evaluation.policy.auditLog);
    const { actor, subject } = await whoAndWhere(root);
    const checkpoint = await recordAll(
      store,
      evaluationEvents(evaluation, { time: new Date().toISOString(), actor, subject }),
    );
    io.err(
      `aims-gate: recorded ${plural(evaluation.systems.length, '"evaluated" event')} in ${shown(store.path)}${checkpoint ? `; checkpoint ${formatCheckpoint(checkpoint)}` : ''}\n`,
    );
    output = streamOf(evaluation);
  }

  const chunks = renderChunks(format, output, { color: io.color && !values.output, version: VERSION });
  if (values.output) {
    await writeOutput(values.output, batched(chunks));
    io.err(`aims-gate: wrote ${format} to ${values.output}\n${verdictLine(output.tail())}\n`);
  } else {
    // In GitHub Actions, the runner reads workflow commands from the log: a finding's text must not be one.
    const fenced = process.env.GITHUB_ACTIONS === 'true' && (format === 'text' || format === 'markdown');
    for await (const text of batched(fenced ? withoutWorkflowCommands(chunks, randomUUID()) : chunks))
      io.out(text);
  }
  return output.tail().verdict === 'pass' ? 0 : 1;
}
