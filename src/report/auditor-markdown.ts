import type { AuditEntry } from '../audit/entry.js';
import { isObservation } from '../audit/nonconformities.js';
import { type AuditorReport, earlierApprovalsWords, timelineBoundWords, timelineNote } from './auditor.js';
import {
  APPLICABILITY_STATUS,
  applicabilitySentence,
  closureSentence,
  declaredWords,
  deploymentWords,
  type EvidenceItem,
  earlierSentence,
  entryActorWords,
  eventDetails,
  eventLabel,
  evidenceEntryWords,
  evidenceItems,
  logNotes,
  NONCONFORMITY_RULE,
  nonconformityWords,
  objectiveWords,
  statementHeader,
  summaryTiles,
  UNPROVEN_MARK,
  undeclaredControls,
  unprovenFrom,
  verificationSentence,
} from './auditor-words.js';
import {
  type ClauseReport,
  clauseEvidenceWords,
  clauseGapWords,
  earlierUnplannedWords,
  nonconformityWordsOfClause,
  programmeWords,
} from './clauses.js';
import {
  CONTROL_NOTE,
  controlRows,
  type DocumentControl,
  evidenceEntriesWords,
  evidenceSentence,
  evidenceStateWords,
  SIGN_OFF,
  treeWords,
} from './control.js';
import { cell, inline } from './escape.js';
import { importOrigin, importSentence, location, SEVERITY_WORDS } from './words.js';

/** The auditor's report as Markdown: verification, inventory, timelines, approvals, findings, SoA. */
export function renderAuditorMarkdown(report: AuditorReport): string {
  const { evaluation } = report;
  const out: string[] = [];
  const verification = verificationSentence(report);
  out.push('# AI management system audit report', '');
  out.push(
    `Generated ${report.generated} · documents evaluated as of ${report.today} · policy ${cell(evaluation.policy.id)}`,
    '',
  );
  if (report.control) out.push(...controlMarkdown(report.control));
  out.push('## 1. Audit log verification', '', `${verification.ok ? '✅' : '❌'} ${verification.text}`, '');
  for (const note of logNotes(report)) out.push(`⚠ ${inline(note)}`, '');

  out.push('## 2. AI system inventory', '');
  out.push(
    '| AI system | Folder | Owner | Tier | Lifecycle | Version | Documents (SHA-256) |',
    '|---|---|---|---|---|---|---|',
  );
  for (const s of evaluation.systems) {
    const docs = s.evidence.map((e) => `\`${cell(e.path)}\` ${e.sha256.slice(0, 12)}…`).join('<br>');
    out.push(
      `| ${cell(s.id)} | \`${cell(s.path)}\` | ${cell(s.owner ?? '—')} | ${s.tier ?? '—'} | ${s.status ?? '—'} | ${cell(s.version ?? '—')} | ${docs || '—'} |`,
    );
  }
  out.push('');
  const imports = evaluation.systems.flatMap((s) => (s.imports ?? []).map((imp) => ({ system: s.id, imp })));
  if (imports.length) {
    out.push(
      '### Documents in other formats',
      '',
      'Read through an importer: each aims-gate field, the original field it came from, and the original text.',
      '',
    );
    for (const { system, imp } of imports) {
      out.push(`**${cell(system)}**, \`${cell(imp.path)}\`: ${inline(importSentence(imp))}`, '');
      out.push('| aims-gate field | From | As written |', '|---|---|---|');
      for (const row of imp.mapped)
        out.push(`| \`${cell(row.to)}\` | \`${cell(importOrigin(row))}\` | ${cell(row.text ?? '—')} |`);
      out.push('');
    }
  }

  const { kpis } = report;
  out.push('## 3. Figures for management review', '');
  out.push(
    summaryTiles(report)
      .map((t) => `${t.value} ${t.label}`)
      .join(' · '),
    '',
    closureSentence(kpis),
    '',
  );
  if (kpis.objectives.length)
    out.push(
      '| AI objective (clause 6.2) | Measured by | Target | Measured | Status |',
      '|---|---|---|---|---|',
      ...kpis.objectives.map((r) => {
        const words = objectiveWords(r);
        return `| ${cell(words.objective)} | ${cell(words.metric)} | ${cell(words.target)} | ${cell(words.measured)} | ${r.status === 'missed' ? '**MISSED**' : words.status} |`;
      }),
      '',
    );
  else out.push('_No AI objectives with targets: the configuration sets none (objectives:)._', '');
  out.push(
    '| Month | Findings | Nonconformities opened | closed | open at month end | Deployments approved | rejected |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...kpis.months.map(
      (m) =>
        `| ${m.month} | ${m.findings} | ${m.opened} | ${m.closed} | ${m.open} | ${m.approved} | ${m.rejected} |`,
    ),
    '',
  );

  const ncs = report.nonconformities.filter((nc) => !isObservation(nc));
  const observations = report.nonconformities.filter(isObservation);
  const openNcs = ncs.filter((nc) => !nc.closed);
  out.push(
    `## 4. Nonconformity register (${openNcs.length} open, ${ncs.length - openNcs.length} closed)`,
    '',
  );
  out.push(`_${NONCONFORMITY_RULE}_`, '');
  if (ncs.length === 0) out.push('_No nonconformities recorded._', '');
  else
    out.push(
      '| Id | Grade | System | Nonconformity | Source | Since | Owner | Due | Corrective action and review | State |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...ncs.map((nc) => {
        const words = nonconformityWords(nc);
        return `| ${cell(nc.id)}${ncMark(nc, unprovenFrom(report))} | ${nc.grade} | ${cell(nc.system ?? '(organisation)')} | ${cell(words.title)} | ${cell(nc.source)} | ${cell(words.since)} | ${cell(nc.owner ?? '—')} | ${cell(words.due)} | ${cell(words.actions)} | ${cell(words.state)} |`;
      }),
      '',
    );
  for (const problem of report.registerProblems) out.push(`- ⚠ ${cell(problem)}`);
  if (report.registerProblems.length) out.push('');
  out.push('### Observations (no nonconformities: no due date, not counted)', '');
  if (observations.length === 0) out.push('_No observations recorded._', '');
  else
    out.push(
      '| Id | System | Observation | Source | Since | Owner | State |',
      '|---|---|---|---|---|---|---|',
      ...observations.map((nc) => {
        const words = nonconformityWords(nc);
        return `| ${cell(nc.id)} | ${cell(nc.system ?? '(organisation)')} | ${cell(words.title)} | ${cell(nc.source)} | ${cell(words.since)} | ${cell(nc.owner ?? '—')} | ${cell(words.state)} |`;
      }),
      '',
    );

  out.push('## 5. Deployment register', '');
  if (report.earlierDeployments)
    out.push(
      `_The latest ${report.deployments.length} decisions; ${report.earlierDeployments} earlier ones are in the log._`,
      '',
    );
  if (report.deployments.length === 0) out.push('_No deployment decisions recorded._', '');
  else
    out.push(
      '| # | Time (UTC) | System | Environment | Decision | Commit | Pull requests | Approvers in their roles | Evaluation | Written by |',
      '|--:|---|---|---|---|---|---|---|---|---|',
      ...report.deployments.map((d) => {
        const words = deploymentWords(d);
        return `| ${d.seq}${d.seq >= (unprovenFrom(report) ?? Number.POSITIVE_INFINITY) ? ` ${UNPROVEN_MARK}` : ''} | ${cell(d.time)} | ${cell(d.system)} | ${cell(d.environment)} | ${d.decision} | ${cell(words.commit)} | ${cell(d.pullRequests.join(', ') || '—')} | ${cell(words.roles)} | ${cell(words.evaluation)} | ${cell(words.writer)} |`;
      }),
      '',
    );

  out.push(`## 6. Timeline per system (${report.totalEvents} events)`, '');
  if (timelineBoundWords(report)) out.push(`_${cell(timelineBoundWords(report))}_`, '');
  for (const system of report.systems) {
    out.push(`### ${cell(system.id)}${timelineNote(system) ? ` (${timelineNote(system)})` : ''}`, '');
    if (system.earlier) out.push(`_${earlierSentence(system)}_`, '');
    if (system.events.length === 0) out.push('_No recorded events._', '');
    else out.push(...eventTable(report, system.events, unprovenFrom(report)), '');
  }

  if (report.approvals.length) {
    out.push('## 6a. Approvals recorded outside a gate decision', '');
    if (report.earlierApprovals) out.push(`_${earlierApprovalsWords(report)}_`, '');
    out.push(...eventTable(report, report.approvals, unprovenFrom(report)), '');
  }

  out.push('## 7. Open findings by control', '');
  if (report.findingsByControl.length === 0) out.push('_No open findings._');
  for (const c of report.findingsByControl) {
    out.push(`- **${c.control} ${cell(c.title)}**`);
    for (const f of c.findings)
      out.push(
        `  - ${SEVERITY_WORDS[f.severity]} \`${f.rule}\` (${cell(f.system ?? '—')}) at \`${location(f)}\`: ${cell(f.message)}${f.original ? ` (as written: ${cell(f.original)})` : ''}`,
      );
  }
  out.push('');

  out.push('## 8. Waivers', '');
  if (report.waivers.length === 0) out.push('_No waivers._');
  else {
    out.push('| Rule | System | Status | Expires | Approver | Reason |', '|---|---|---|---|---|---|');
    for (const w of report.waivers)
      out.push(
        `| ${w.rule} | ${cell(w.system)} | ${w.status} | ${w.expires} | ${cell(w.approver)} | ${cell(w.reason)} |`,
      );
  }
  out.push('');

  out.push('## 9. Statement of Applicability (ISO/IEC 42001:2023 Annex A)', '');
  for (const line of statementHeader(report.evaluation.statement)) out.push(cell(line), '');
  out.push(applicabilitySentence(report.applicability), '');
  const undeclared = undeclaredControls(report.applicability);
  if (undeclared.length) out.push(`**Not declared (${undeclared.length}):** ${undeclared.join(', ')}`, '');
  out.push(
    '| Control | Declared | Justification of need | Tested by aims-gate | Evidence | Evidence says | Disagreements |',
    '|---|---|---|---|---|---|---|',
  );
  for (const row of report.applicability) {
    const evidence = [
      ...evidenceItems(row).map(evidenceMarkdown),
      ...(row.missing ? [`**Missing:** ${cell(row.missing)}`] : []),
    ];
    out.push(
      `| ${row.control} ${cell(row.title)}<br>_${row.objectiveId} ${cell(row.objective)}_ | ${cell(declaredWords(row))} | ${cell(row.justification) || '—'} | ${cell(row.tested) || '—'} | ${evidence.join('<br>') || '—'} | ${APPLICABILITY_STATUS[row.status]} | ${row.flags.map((f) => `⚠ ${cell(f)}`).join('<br>') || '—'} |`,
    );
  }
  out.push('', ...clausesMarkdown(report.clauses));
  if (report.evidence) out.push('', ...evidenceFilesMarkdown(report.evidence, report.moreEvidence));
  if (report.control) out.push('', ...signOffMarkdown(report.control));
  return `${out.join('\n')}\n`;
}

/** Document control: what the report is about and made from; a working tree that is not the commit, first. */
function controlMarkdown(control: DocumentControl): string[] {
  const tree = treeWords(control);
  return [
    ...(tree.clean ? [] : [`> ⚠ **Draft.** Working tree ${inline(tree.text)}`, '']),
    '## Document control',
    '',
    '| | |',
    '|---|---|',
    ...controlRows(control).map(([label, value]) => `| ${label} | ${cell(value)} |`),
    '',
    `_${CONTROL_NOTE}_`,
    '',
  ];
}

/** A line to write on, in the printed copy. */
const LINE = '_'.repeat(28);

/** Blank lines to sign: a name typed in (--prepared-by) is not a signature, so those cells stay blank. */
function signOffMarkdown(control: DocumentControl): string[] {
  return [
    '## Approval of this report',
    '',
    '| Role | Name | Signature | Date |',
    '|---|---|---|---|',
    ...SIGN_OFF.map(({ role }) => {
      const name = control.signOff.find((s) => s.role === role)?.name;
      return `| ${role} | ${name ? cell(name) : LINE} | ${LINE} | ${LINE.slice(0, 12)} |`;
    }),
    '',
    `_Document id ${control.id}. A copy whose id differs was made from other inputs._`,
  ];
}

/** The files entries cite, with the digest the log recorded and whether the working tree still has it. */
function evidenceFilesMarkdown(files: NonNullable<AuditorReport['evidence']>, more = 0): string[] {
  return [
    '## 11. Evidence files cited by the log',
    '',
    evidenceSentence(files, more),
    '',
    ...(files.length
      ? [
          '| File | SHA-256 as recorded | Cited by | In the working tree |',
          '|---|---|---|---|',
          ...files.map(
            (f) =>
              `| \`${cell(f.path)}\` | ${f.sha256} | ${evidenceEntriesWords(f)} | ${f.state === 'matches' || f.state === 'superseded' ? '' : '**'}${cell(evidenceStateWords(f))}${f.state === 'matches' || f.state === 'superseded' ? '' : '**'} |`,
          ),
        ]
      : ['_No entry cites a file._']),
  ];
}

/** Clauses 4 to 10: what evidences each, what does not; then the internal audit programme. */
function clausesMarkdown(report: ClauseReport): string[] {
  const evidenced = report.clauses.filter((c) => c.evidenced).length;
  const out = [
    '## 10. Management system, clauses 4 to 10 (ISO/IEC 42001:2023)',
    '',
    `${evidenced} of ${report.clauses.length} clauses are evidenced by the audit log or the documents checked; the others are not evidenced here, which says nothing of evidence kept elsewhere.`,
    '',
    '| Clause | Evidenced by | Not evidenced | Nonconformities |',
    '|---|---|---|---|',
    ...report.clauses.map(
      (c) =>
        `| ${c.clause} ${cell(c.title)} | ${cell(clauseEvidenceWords(c)) || '—'} | ${cell(clauseGapWords(c)) || '—'} | ${cell(nonconformityWordsOfClause(c)) || '—'} |`,
    ),
    '',
    '### Internal audit programme (clause 9.2)',
    '',
  ];
  if (!report.programme.length)
    out.push('_No internal audit programme: the configuration plans no audits (audits:)._', '');
  else
    out.push(
      '| Audit | Scope | Criteria | Planned | Auditor (planned) | State |',
      '|---|---|---|---|---|---|',
      ...report.programme.map((row) => {
        const words = programmeWords(row);
        return `| ${cell(row.audit.id)} | ${cell(words.scope)} | ${cell(row.audit.criteria)} | ${row.audit.planned} | ${cell(row.audit.auditor)} | ${row.overdue ? '**' : ''}${cell(words.state)}${row.overdue ? '**' : ''} |`;
      }),
      '',
    );
  for (const u of report.unplanned)
    out.push(`- ⚠ entry ${u.seq} records audit ${cell(u.audit)}, which the programme does not plan`);
  if (report.earlierUnplanned) out.push(`- ⚠ ${cell(earlierUnplannedWords(report))}`);
  return out;
}

/** A nonconformity an entry after a verification break changed: the chain no longer vouches for its state. */
function ncMark(nc: { history: number[] }, unproven = Number.POSITIVE_INFINITY): string {
  return nc.history.some((seq) => seq >= unproven) ? ` ${UNPROVEN_MARK}` : '';
}

/** A document by path and the start of its digest (the inventory gives it whole), an entry by number. */
function evidenceMarkdown(item: EvidenceItem): string {
  if ('document' in item) return `\`${cell(item.document.path)}\` ${item.document.sha256.slice(0, 12)}…`;
  if ('entry' in item) return `log ${cell(evidenceEntryWords(item.entry))}`;
  return cell('more' in item ? item.more : item.named);
}

/** Events, each entry from a verification break on marked: the chain no longer vouches for them. */
function eventTable(
  report: Pick<AuditorReport, 'signatures'>,
  events: AuditEntry[],
  unproven = Number.POSITIVE_INFINITY,
): string[] {
  return [
    '| # | Time (UTC) | Event | System | Actor | Details |',
    '|--:|---|---|---|---|---|',
    ...events.map(
      (e) =>
        `| ${e.seq}${e.seq >= unproven ? ` ${UNPROVEN_MARK}` : ''} | ${cell(e.time)} | ${cell(eventLabel(e.type))} | ${cell(e.subject.system ?? '—')} | ${cell(entryActorWords(report, e))} | ${cell(eventDetails(e))} |`,
    ),
  ];
}
