import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { anchorsPath } from '../audit/anchors.js';
import { formatCheckpoint } from '../audit/entry.js';
import { checkEvidence, EvidenceIndex, fileDigest } from '../audit/evidence.js';
import { UsageError } from '../errors.js';
import { evaluate } from '../evaluate.js';
import { AuditorFold, asOfPeriodEnd, foldLog, inPeriod } from '../report/auditor.js';
import { renderAuditorHtml, reportTitle } from '../report/auditor-html.js';
import { renderAuditorMarkdown } from '../report/auditor-markdown.js';
import {
  type ControlInputs,
  type DocumentControl,
  documentId,
  documentsDigest,
  SIGN_OFF,
  treeWords,
} from '../report/control.js';
import { findChromium, printPdf } from '../report/pdf.js';
import { soaApproval } from '../soa.js';
import { fileHistoryInGit, workingTree } from '../sources/git.js';
import { LocalSource } from '../sources/local.js';
import { VERSION } from '../version.js';
import { tsaCertificates, verifyAnchored } from './anchor.js';
import { trustedSigners } from './audit.js';
import {
  fileStoreFor,
  givenLogExists,
  locate,
  refuseNothing,
  shown,
  whoAndWhere,
  writeOutput,
} from './context.js';
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
    until: { type: 'string' },
    'require-clean': { type: 'boolean', default: false },
    'prepared-by': { type: 'string' },
    'reviewed-by': { type: 'string' },
    'approved-by': { type: 'string' },
    'tsa-cert': { type: 'string' },
    'allowed-signers': { type: 'string' },
  });
  const since = dateOption('since', values.since);
  const until = dateOption('until', values.until);
  if (since && until && since > until)
    throw new UsageError(`--since ${since} is after --until ${until}: the period would be empty`);
  const format = choice('format', values.format, ['markdown', 'html', 'pdf']);
  // A report is a file: a PDF is bytes, and an HTML page of a large log is megabytes no terminal should scroll.
  if (!values.output && (format === 'pdf' || (format === 'html' && io.terminal)))
    throw new UsageError(
      `report -f ${format} writes a file: pass -o report.${format}${format === 'html' ? ' (or pipe it: aims-gate report -f html > report.html)' : ''}`,
    );
  // Before any work: a PDF with no browser to print it is said at once.
  const chromium = format === 'pdf' ? findChromium() : undefined;
  const trusted = await tsaCertificates(values['tsa-cert']);
  const checkpoint = checkpointOption(values.checkpoint);

  const root = locate(positionals[0]).root;
  const evaluation = await evaluate({
    source: new LocalSource(root),
    configPath: values.config,
    // A past period is judged as at its end: the documents too (a review date passes or not by then), unless
    // --today says otherwise.
    today: values.today ? today(values.today) : asOfPeriodEnd(today(undefined), until),
  });
  const store = fileStoreFor(
    root,
    values.log,
    values.log ? undefined : evaluation.policy.auditLog === 'none' ? undefined : evaluation.policy.auditLog,
  );
  const found = await givenLogExists(store, values.log);
  refuseNothing(root, evaluation, found);
  const keys = await trustedSigners(root, values.config, values['allowed-signers']);
  const verified = found ? await verifyAnchored(store, checkpoint, trusted, { trusted: keys }) : undefined;
  const verification = verified?.result;
  const badLines: number[] = [];
  const generated = new Date().toISOString();
  const fold = new AuditorFold({
    evaluation,
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
      ...(until ? { until } : {}),
    },
    generated,
    trusted: keys,
  });
  // The files the log cites, to the period's end: each is checked against the working tree below.
  const cited = new EvidenceIndex();
  let firstEntry: string | undefined;
  // An entry at a time: the report keeps what it shows, never the log.
  if (found)
    await foldLog(
      store,
      fold,
      (entry) => {
        firstEntry ??= entry.time;
        if (inPeriod(entry.time, { until })) cited.add(entry);
      },
      (line) => badLines.push(line),
    );
  const evidence = await checkEvidence(root, cited.files());

  // The SoA's version and approval from the history of the file, as committed (never from what it says).
  const { statement } = evaluation;
  if (statement.found && statement.from === 'file')
    statement.approval = soaApproval(await fileHistoryInGit(root, statement.path), statement.version);
  const control = await documentControl({
    root,
    evaluation,
    logPath: found ? store.path : undefined,
    firstEntry,
    ignore: [store.path, anchorsPath(store.path), ...(values.output ? [resolve(values.output)] : [])],
    period: { since, until: until ?? evaluation.today },
    checkpoint: checkpoint ? formatCheckpoint(checkpoint) : undefined,
    generated,
    signOff: SIGN_OFF.map(({ role, option }) => ({
      role,
      ...(values[option] ? { name: values[option] } : {}),
    })),
  });
  const clean = treeWords(control).clean;
  if (values['require-clean'] && !clean)
    throw new UsageError(
      `--require-clean: the working tree is ${treeWords(control).text.replace(/; this report.*/, '')}; commit or stash the changes, or leave out --require-clean for a draft`,
    );
  const model = fold.report({ control, evidence, omittedEvidence: cited.omitted });
  const html = format === 'markdown' ? undefined : renderAuditorHtml(model);
  const rendered =
    format === 'pdf'
      ? await printPdf(html!, {
          chromium,
          header: { left: reportTitle({ ...control, id: '' }), right: control.id },
          footer: `${control.id} · ${'unknown' in control.tree ? 'no commit' : `commit ${control.tree.commit.slice(0, 12)}`} · aims-gate ${VERSION} · generated ${generated}`,
          ...(clean ? {} : { warning: 'DRAFT: not the commit' }),
        })
      : (html ?? renderAuditorMarkdown(model));
  if (values.output) {
    await writeOutput(values.output, rendered);
    io.err(`aims-gate: wrote the ${format} report ${control.id} to ${values.output}\n`);
  } else {
    io.out(rendered as string);
  }
  if (!clean)
    io.err(`aims-gate: a draft: working tree ${treeWords(control).text} (--require-clean refuses this)\n`);
  return verification && !(verification.ok && verified!.held.ok && verification.signatures?.ok !== false)
    ? 1
    : 0;
}

/** What the report names of itself, and the digests of what it was made from. */
async function documentControl(input: {
  root: string;
  evaluation: Awaited<ReturnType<typeof evaluate>>;
  logPath?: string;
  firstEntry?: string;
  /**
   * Files that are no input of the report: the log and its anchors (the chain and the timestamps vouch for them,
   * and both grow by design), and the report itself.
   */
  ignore: string[];
  period: { since?: string; until: string };
  checkpoint?: string;
  generated: string;
  signOff: DocumentControl['signOff'];
}): Promise<DocumentControl> {
  const { root, evaluation } = input;
  const { statement } = evaluation;
  const inside = input.ignore
    .map((path) => relative(root, path))
    .filter((path) => path && !path.startsWith('..') && !isAbsolute(path))
    .map((path) => path.split(sep).join('/'));
  const configPath = join(root, evaluation.policy.configPath ?? '.github/aims-gate.yml');
  const soa = statement.found && statement.from === 'file' ? statement.path : undefined;
  const [tree, where, log, anchors, config, soaDigest] = await Promise.all([
    workingTree(root, inside),
    whoAndWhere(root),
    input.logPath ? fileDigest(input.logPath) : undefined,
    input.logPath ? fileDigest(anchorsPath(input.logPath)) : undefined,
    fileDigest(configPath),
    soa ? fileDigest(join(root, soa)) : undefined,
  ]);
  const documents = evaluation.systems.flatMap((s) => s.evidence);
  if (soa && soaDigest) documents.push({ path: soa, sha256: soaDigest });
  const inputs: ControlInputs = {
    ...(log ? { log } : {}),
    ...(anchors ? { anchors } : {}),
    ...(config ? { config } : {}),
    documents: documentsDigest(documents),
    ...('unknown' in tree
      ? {}
      : { commit: tree.commit, ...(tree.changes.length ? { changes: tree.changes } : {}) }),
    ...(input.period.since ? { since: input.period.since } : {}),
    until: input.period.until,
    today: evaluation.today,
    version: VERSION,
    ...(input.checkpoint ? { checkpoint: input.checkpoint } : {}),
  };
  return {
    id: documentId(inputs),
    ...(soa && statement.organisation ? { organisation: statement.organisation } : {}),
    ...(soa && statement.scope ? { scope: statement.scope } : {}),
    period: { ...input.period, ...(input.firstEntry ? { first: input.firstEntry.slice(0, 10) } : {}) },
    repository: where.subject.repository ?? '—',
    tree,
    version: VERSION,
    generated: input.generated,
    inputs,
    signOff: input.signOff,
  };
}
