import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Checkpoint, formatCheckpoint } from '../audit/entry.js';
import { evaluationEvents } from '../audit/events.js';
import { record } from '../audit/store.js';
import { UsageError } from '../errors.js';
import { evaluate } from '../evaluate.js';
import { FORMATS, isFormat } from '../report/index.js';
import { verdictLine } from '../report/words.js';
import { changedSince, GitSource } from '../sources/git.js';
import { LocalSource } from '../sources/local.js';
import { SEVERITIES, type Severity } from '../types.js';
import { fileStoreFor, shown, whoAndWhere } from './context.js';
import { type Output, VERSION } from './main.js';

export async function check(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      base: { type: 'string' },
      format: { type: 'string', default: 'text' },
      output: { type: 'string' },
      'fail-on': { type: 'string' },
      today: { type: 'string' },
      record: { type: 'boolean', default: false },
      log: { type: 'string' },
    },
  });
  if (positionals.length > 1)
    throw new UsageError(`check takes one folder, got ${positionals.length}: ${positionals.join(' ')}`);
  const format = values.format!;
  if (!isFormat(format))
    throw new UsageError(`--format must be one of ${Object.keys(FORMATS).join(', ')}, not "${format}"`);
  const failOn = values['fail-on'];
  if (failOn !== undefined && failOn !== 'never' && !SEVERITIES.includes(failOn as Severity)) {
    throw new UsageError(`--fail-on must be major, minor, observation or never, not "${failOn}"`);
  }
  const today = values.today ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today) || Number.isNaN(Date.parse(today))) {
    throw new UsageError(`--today must be a date written YYYY-MM-DD, not "${today}"`);
  }

  const root = resolve(positionals[0] ?? '.');
  const source = new LocalSource(root);
  const base = values.base ? await GitSource.resolve(root, values.base) : undefined;
  const evaluation = await evaluate({
    source,
    policySource: base,
    baseSource: base,
    configPath: values.config,
    changedFiles: base ? await changedSince(root, values.base!) : undefined,
    today,
    failOn: failOn as Severity | 'never' | undefined,
  });

  if (values.record) {
    const store = fileStoreFor(root, values.log, evaluation.policy.auditLog);
    const { actor, subject } = await whoAndWhere(root);
    let checkpoint: Checkpoint | undefined;
    for (const draft of evaluationEvents(evaluation, { time: new Date().toISOString(), actor, subject })) {
      checkpoint = (await record(store, draft)).checkpoint;
    }
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
