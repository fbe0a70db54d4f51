import type { AuditEntry } from '../audit/entry.js';
import { readEntries } from '../audit/read.js';
import { evaluate } from '../evaluate.js';
import { buildAuditorReport } from '../report/auditor.js';
import { renderAuditorHtml } from '../report/auditor-html.js';
import { renderAuditorMarkdown } from '../report/auditor-markdown.js';
import { soaApproval } from '../soa.js';
import { fileHistoryInGit } from '../sources/git.js';
import { LocalSource } from '../sources/local.js';
import { tsaCertificates, verifyAnchored } from './anchor.js';
import { trustedSigners } from './audit.js';
import { fileStoreFor, givenLogExists, locate, refuseNothing, shown, writeOutput } from './context.js';
import type { Output } from './main.js';
import { checkpointOption, choice, dateOption, parseCommand, today } from './options.js';

/** aims-gate report: the auditor's report from the log, its verification and the current documents. */
export async function report(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    log: { type: 'string' },
    checkpoint: { type: 'string' },
    format: { type: 'string', short: 'f', default: 'markdown' },
    output: { type: 'string', short: 'o' },
    config: { type: 'string', short: 'c' },
    today: { type: 'string' },
    since: { type: 'string' },
    'tsa-cert': { type: 'string' },
    'allowed-signers': { type: 'string' },
  });
  const trusted = await tsaCertificates(values['tsa-cert']);
  const since = dateOption('since', values.since);
  const format = choice('format', values.format, ['markdown', 'html']);
  const checkpoint = checkpointOption(values.checkpoint);

  const root = locate(positionals[0]).root;
  const evaluation = await evaluate({
    source: new LocalSource(root),
    configPath: values.config,
    today: today(values.today),
  });
  const store = fileStoreFor(
    root,
    values.log,
    values.log ? undefined : evaluation.policy.auditLog === 'none' ? undefined : evaluation.policy.auditLog,
  );
  const found = await givenLogExists(store, values.log);
  refuseNothing(root, evaluation, found);
  const entries: AuditEntry[] = [];
  const keys = await trustedSigners(root, values.config, values['allowed-signers']);
  const verified = found ? await verifyAnchored(store, checkpoint, trusted, { trusted: keys }) : undefined;
  const verification = verified?.result;
  const badLines: number[] = [];
  if (found)
    for await (const entry of readEntries(store, {}, (line) => badLines.push(line))) entries.push(entry);

  // The SoA's version and approval from the history of the file, as committed (never from what it says).
  const { statement } = evaluation;
  if (statement.found && statement.from === 'file')
    statement.approval = soaApproval(await fileHistoryInGit(root, statement.path));
  const model = buildAuditorReport({
    evaluation,
    entries,
    log: {
      path: shown(store.path),
      found,
      verification,
      checkpointGiven: Boolean(checkpoint),
      badLines,
      ...(verified?.anchors.length || trusted
        ? {
            anchors: {
              reports: verified?.anchors ?? [],
              ok: verified?.held.ok ?? false,
              trusted: Boolean(trusted),
            },
          }
        : {}),
      ...(since ? { since } : {}),
    },
    generated: new Date().toISOString(),
    trusted: keys,
  });
  const rendered = format === 'html' ? renderAuditorHtml(model) : renderAuditorMarkdown(model);
  if (values.output) {
    await writeOutput(values.output, rendered);
    io.err(`aims-gate: wrote the ${format} report to ${values.output}\n`);
  } else {
    io.out(rendered);
  }
  return verification && !(verification.ok && verified!.held.ok && verification.signatures?.ok !== false)
    ? 1
    : 0;
}
