import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatCheckpoint } from '../audit/entry.js';
import { evaluationEvents } from '../audit/events.js';
import { recordAll } from '../audit/store.js';
import { UsageError } from '../errors.js';
import { evaluate } from '../evaluate.js';
import { FORMATS, type Format } from '../report/index.js';
import { verdictLine } from '../report/words.js';
import { changedSince, GitSource } from '../sources/git.js';
import { LocalSource } from '../sources/local.js';
import { FAIL_ON } from '../types.js';
import { VERSION } from '../version.js';
import { fileStoreFor, shown, whoAndWhere } from './context.js';
import type { Output } from './main.js';
import { choice, parseCommand, today } from './options.js';

export async function check(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    config: { type: 'string' },
    base: { type: 'string' },
    format: { type: 'string', default: 'text' },
    output: { type: 'string' },
    'fail-on': { type: 'string' },
    today: { type: 'string' },
    record: { type: 'boolean', default: false },
    log: { type: 'string' },
  });
  if (positionals.length > 1)
    throw new UsageError(`check takes one folder, got ${positionals.length}: ${positionals.join(' ')}`);
  const format = choice('format', values.format!, Object.keys(FORMATS) as Format[]);
  const failOn = values['fail-on'] === undefined ? undefined : choice('fail-on', values['fail-on'], FAIL_ON);

  const root = resolve(positionals[0] ?? '.');
  const source = new LocalSource(root);
  const base = values.base ? await GitSource.resolve(root, values.base) : undefined;
  const evaluation = await evaluate({
    source,
    policySource: base,
    baseSource: base,
    configPath: values.config,
    changedFiles: base ? await changedSince(root, values.base!) : undefined,
    today: today(values.today),
    failOn,
  });

  if (values.record) {
    const store = fileStoreFor(root, values.log, evaluation.policy.auditLog);
    const { actor, subject } = await whoAndWhere(root);
    const checkpoint = await recordAll(
      store,
      evaluationEvents(evaluation, { time: new Date().toISOString(), actor, subject }),
    );
    io.err(
      `aims-gate: recorded ${evaluation.systems.length} "evaluated" events in ${shown(store.path)}${checkpoint ? `; checkpoint ${formatCheckpoint(checkpoint)}` : ''}\n`,
    );
  }

  const rendered = FORMATS[format](evaluation, { color: io.color && !values.output, version: VERSION });
  if (values.output) {
    await writeFile(values.output, rendered);
    io.err(`aims-gate: wrote ${format} to ${values.output}\n${verdictLine(evaluation)}\n`);
  } else {
    io.out(rendered);
  }
  return evaluation.verdict === 'pass' ? 0 : 1;
}
