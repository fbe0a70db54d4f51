import type { AuditEntry } from '../audit/entry.js';
import { isObservation } from '../audit/nonconformities.js';
import type { SystemSummary } from '../types.js';
import type { ApplicabilityRow } from './applicability.js';
import { type AuditorReport, earlierApprovalsWords, timelineBoundWords, timelineNote } from './auditor.js';
import {
  APPLICABILITY_STATUS,
  applicabilitySentence,
  closureSentence,
  declaredWords,
  deploymentWords,
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
import { escapeHtml as esc } from './escape.js';
import type { ObjectiveResult } from './kpis.js';
import { importOrigin, importSentence, location, SEVERITY_WORDS } from './words.js';

/**
 * The auditor's report as one self-contained HTML file: inline style and script, a Content-Security-Policy
 * that forbids any network request, filters by system and event type, and a print layout.
 */
export function renderAuditorHtml(report: AuditorReport): string {
  const { evaluation } = report;
  const verification = verificationSentence(report);
  const systemIds = report.systems.map((s) => s.id);
  const listedEvents = report.systems.reduce((n, s) => n + s.events.length, 0);
  const environments = [...new Set(report.deployments.map((d) => d.environment))].sort();
  const ncs = report.nonconformities.filter((nc) => !isObservation(nc));
  const observations = report.nonconformities.filter(isObservation);
  const openNcs = ncs.filter((nc) => !nc.closed);
  const unproven = unprovenFrom(report) ?? Number.POSITIVE_INFINITY;
  const { kpis } = report;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(reportTitle(report.control))}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>AI management system audit report</h1>
<p class="meta">Generated ${esc(report.generated)} · documents evaluated as of ${esc(report.today)} · policy ${esc(evaluation.policy.id)}</p>
</header>
${report.control ? controlHtml(report.control) : ''}
<section id="verification" class="banner ${verification.ok ? 'ok' : 'failed'}" data-verified="${verification.ok}">
<strong>${verification.ok ? '✔ Audit log intact' : '✖ Audit log verification failed'}</strong>
<p>${esc(verification.text)}</p>${logNotes(report)
    .map((note) => `\n<p class="bad-lines">⚠ ${esc(note)}</p>`)
    .join('')}
</section>

<section id="summary" class="cards">
${summaryTiles(report)
  .map((t) => card(t.id, t.value, t.label))
  .join('\n')}
</section>

<nav class="filters">
<label>System <select id="filter-system"><option value="">All systems</option>${systemIds.map((id) => `<option value="${esc(id)}">${esc(id)}</option>`).join('')}</select></label>
<label>Event type <select id="filter-type"><option value="">All types</option>${report.eventTypes.map((t) => `<option value="${esc(t)}">${esc(eventLabel(t))}</option>`).join('')}</select></label>
<label>Environment <select id="filter-environment"><option value="">All environments</option>${environments.map((e) => `<option value="${esc(e)}">${esc(e)}</option>`).join('')}</select></label>
<span id="event-count" aria-live="polite">${listedEvents} of ${listedEvents} events</span>
</nav>

<section id="inventory">
<h2>AI system inventory</h2>
<table>
<thead><tr><th>AI system</th><th>Folder</th><th>Owner</th><th>Tier</th><th>Lifecycle</th><th>Version</th><th>Documents (SHA-256)</th></tr></thead>
<tbody>
${evaluation.systems
  .map(
    (s) =>
      `<tr data-system="${esc(s.id)}"><td>${esc(s.id)}</td><td><code>${esc(s.path)}</code></td><td>${esc(s.owner ?? '—')}</td><td>${tier(s.tier)}</td><td>${esc(s.status ?? '—')}</td><td>${esc(s.version ?? '—')}</td><td>${
        s.evidence
          .map(
            (e) =>
              `<code>${esc(e.path)}</code> <span class="digest" title="${e.sha256}">${e.sha256.slice(0, 16)}…</span>`,
          )
          .join('<br>') || '—'
      }</td></tr>`,
  )
  .join('\n')}
</tbody>
</table>
${importsHtml(evaluation.systems)}
</section>

<section id="kpis">
<h2>Figures for management review</h2>
<p id="closures">${esc(closureSentence(kpis))}</p>
${objectivesHtml(kpis.objectives)}
<div class="charts">
${barChart('Findings at month end', kpis.months, [{ name: 'findings', values: kpis.months.map((m) => m.findings) }])}
${barChart('Nonconformities (observations apart)', kpis.months, [
  { name: 'opened', values: kpis.months.map((m) => m.opened) },
  { name: 'closed', values: kpis.months.map((m) => m.closed) },
  { name: 'open', values: kpis.months.map((m) => m.open) },
])}
${barChart('Deployment decisions', kpis.months, [
  { name: 'approved', values: kpis.months.map((m) => m.approved) },
  { name: 'rejected', values: kpis.months.map((m) => m.rejected) },
])}
</div>
</section>

<section id="nonconformities">
<h2>Nonconformity register <small>(${openNcs.length} open, ${ncs.length - openNcs.length} closed)</small></h2>
<p class="note">${esc(NONCONFORMITY_RULE)}</p>
${
  ncs.length === 0
    ? '<p class="empty">No nonconformities recorded.</p>'
    : `<table><thead><tr><th>Id</th><th>Grade</th><th>System</th><th>Nonconformity</th><th>Source</th><th>Since</th><th>Owner</th><th>Due</th><th>Corrective action and review</th><th>State</th></tr></thead><tbody>${ncs
        .map((nc) => {
          const words = nonconformityWords(nc);
          const after = nc.history.some((seq) => seq >= unproven);
          return `<tr class="nc${nc.closed ? ' closed' : ''}${nc.overdue ? ' overdue' : ''}${after ? ' unproven' : ''}" data-system="${esc(nc.system ?? '')}"><td>${esc(nc.id)}${after ? ` <span class="mark">${UNPROVEN_MARK}</span>` : ''}</td><td><span class="sev ${nc.grade}">${nc.grade}</span></td><td>${esc(nc.system ?? '(organisation)')}</td><td>${esc(words.title)}</td><td>${esc(nc.source)}</td><td>${esc(words.since)}</td><td>${esc(nc.owner ?? '—')}</td><td>${esc(words.due)}</td><td>${esc(words.actions)}</td><td>${esc(words.state)}</td></tr>`;
        })
        .join('')}</tbody></table>`
}
${report.registerProblems.map((p) => `<p class="bad-lines">⚠ ${esc(p)}</p>`).join('\n')}
<h3 id="observations">Observations <small>(no nonconformities: no due date, not counted)</small></h3>
${
  observations.length === 0
    ? '<p class="empty">No observations recorded.</p>'
    : `<table><thead><tr><th>Id</th><th>System</th><th>Observation</th><th>Source</th><th>Since</th><th>Owner</th><th>State</th></tr></thead><tbody>${observations
        .map((nc) => {
          const words = nonconformityWords(nc);
          return `<tr class="observation${nc.closed ? ' closed' : ''}" data-system="${esc(nc.system ?? '')}"><td>${esc(nc.id)}</td><td>${esc(nc.system ?? '(organisation)')}</td><td>${esc(words.title)}</td><td>${esc(nc.source)}</td><td>${esc(words.since)}</td><td>${esc(nc.owner ?? '—')}</td><td>${esc(words.state)}</td></tr>`;
        })
        .join('')}</tbody></table>`
}
</section>

<section id="deployments">
<h2>Deployment register</h2>
${report.earlierDeployments ? `<p class="note">The latest ${report.deployments.length} decisions; ${report.earlierDeployments} earlier ones are in the log.</p>` : ''}
${
  report.deployments.length === 0
    ? '<p class="empty">No deployment decisions recorded.</p>'
    : `<table><thead><tr><th>#</th><th>Time (UTC)</th><th>System</th><th>Environment</th><th>Decision</th><th>Commit</th><th>Pull requests</th><th>Approvers in their roles</th><th>Evaluation</th><th>Written by</th></tr></thead><tbody>${report.deployments
        .map((d) => {
          const words = deploymentWords(d);
          return `<tr class="deployment ${d.decision}${d.seq >= unproven ? ' unproven' : ''}${d.forged ? ' forged' : d.writer || d.signer ? '' : ' not-gate'}" data-system="${esc(d.system)}" data-environment="${esc(d.environment)}"><td>${d.seq}${d.seq >= unproven ? ` <span class="mark">${UNPROVEN_MARK}</span>` : ''}</td><td>${esc(d.time)}</td><td>${esc(d.system)}</td><td>${esc(d.environment)}</td><td>${d.decision}</td><td><code title="${esc(d.commit ?? '')}">${esc(words.commit)}</code></td><td>${esc(d.pullRequests.join(', ') || '—')}</td><td>${esc(words.roles)}</td><td>${esc(words.evaluation)}</td><td>${esc(words.writer)}</td></tr>`;
        })
        .join('')}</tbody></table>`
}
</section>

<section id="timeline">
<h2>Timeline per system</h2>${timelineBoundWords(report) ? `\n<p class="note">${esc(timelineBoundWords(report))}</p>` : ''}
${report.systems
  .map(
    (s) => `<section class="system-timeline" data-system="${esc(s.id)}">
<h3>${esc(s.id)}${timelineNote(s) ? ` <small>(${timelineNote(s)})</small>` : ''}</h3>
${s.earlier ? `<p class="note">${esc(earlierSentence(s))}</p>` : ''}
${s.events.length ? eventTable(report, s.events, unproven) : '<p class="empty">No recorded events.</p>'}
</section>`,
  )
  .join('\n')}
</section>
${
  report.approvals.length
    ? `\n<section id="gates">\n<h2>Approvals recorded outside a gate decision</h2>\n${report.earlierApprovals ? `<p class="note">${esc(earlierApprovalsWords(report))}</p>\n` : ''}${eventTable(report, report.approvals, unproven)}\n</section>\n`
    : ''
}
<section id="findings">
<h2>Open findings by control</h2>
${
  report.findingsByControl.length === 0
    ? '<p class="empty">No open findings.</p>'
    : report.findingsByControl
        .map(
          (c) =>
            `<h3>${esc(c.control)} ${esc(c.title)}</h3><ul>${c.findings
              .map(
                (f) =>
                  `<li data-system="${esc(f.system ?? '')}"><span class="sev ${f.severity}">${SEVERITY_WORDS[f.severity]}</span> <code>${esc(f.rule)}</code> ${esc(f.system ?? '')} at <code>${esc(location(f))}</code>: ${esc(f.message)}${f.original ? ` <q class="original">as written: ${esc(f.original)}</q>` : ''}</li>`,
              )
              .join('')}</ul>`,
        )
        .join('\n')
}
</section>

<section id="waivers">
<h2>Waivers</h2>
${
  report.waivers.length === 0
    ? '<p class="empty">No waivers.</p>'
    : `<table><thead><tr><th>Rule</th><th>System</th><th>Status</th><th>Expires</th><th>Approver</th><th>Reason</th></tr></thead><tbody>${report.waivers
        .map(
          (w) =>
            `<tr class="waiver-${w.status}"><td><code>${esc(w.rule)}</code></td><td>${esc(w.system)}</td><td>${w.status}</td><td>${esc(w.expires)}</td><td>${esc(w.approver)}</td><td>${esc(w.reason)}</td></tr>`,
        )
        .join('')}</tbody></table>`
}
</section>

<section id="soa">
<h2>Statement of Applicability — ISO/IEC 42001:2023 Annex A</h2>
<div id="soa-document">${statementHeader(report.evaluation.statement)
    .map((line) => `<p>${esc(line)}</p>`)
    .join('')}</div>
<p id="soa-summary">${esc(applicabilitySentence(report.applicability))}</p>
${undeclaredControls(report.applicability).length ? `<p id="soa-undeclared"><strong>Not declared (${undeclaredControls(report.applicability).length}):</strong> ${undeclaredControls(report.applicability).join(', ')}</p>` : ''}
<table>
<thead><tr><th>Control</th><th>Declared</th><th>Justification of need</th><th>Tested by aims-gate</th><th>Evidence</th><th>Evidence says</th><th>Disagreements</th></tr></thead>
<tbody>
${report.applicability.map(soaRow).join('\n')}
</tbody>
</table>
</section>
${clausesHtml(report.clauses)}
${report.evidence ? evidenceHtml(report.evidence, report.moreEvidence) : ''}
${report.control ? signOffHtml(report.control) : ''}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** The AI objectives (clause 6.2) against their targets: met, MISSED, or not measured. */
function objectivesHtml(results: ObjectiveResult[]): string {
  if (!results.length)
    return '<p class="empty" id="objectives">No AI objectives with targets: the configuration sets none (objectives:).</p>';
  return `<table id="objectives"><thead><tr><th>AI objective (clause 6.2)</th><th>Measured by</th><th>Target</th><th>Measured</th><th>Status</th></tr></thead><tbody>${results
    .map((r) => {
      const words = objectiveWords(r);
      return `<tr data-objective="${esc(r.objective.id)}" data-status="${r.status}"><td>${esc(words.objective)}</td><td>${esc(words.metric)}</td><td>${esc(words.target)}</td><td>${esc(words.measured)}</td><td class="status ${r.status === 'met' ? 'conformant' : r.status === 'missed' ? 'major' : 'not-evaluated'}">${esc(words.status)}</td></tr>`;
    })
    .join('')}</tbody></table>`;
}

/** The report's title: its organisation and document id, so that a printed or saved copy names itself. */
export function reportTitle(control: DocumentControl | undefined): string {
  return ['AI management system audit report', control?.organisation, control?.id]
    .filter(Boolean)
    .join(' — ');
}

/** Document control: what the report is about and made from; a working tree that is not the commit, in red. */
function controlHtml(control: DocumentControl): string {
  const tree = treeWords(control);
  const draft = tree.clean
    ? ''
    : `<section id="draft" class="banner failed"><strong>⚠ Draft: ${'unknown' in control.tree ? 'no commit vouches for what was read' : 'the working tree differs from the commit'}</strong><p>${esc(tree.text)}</p></section>\n`;
  return `${draft}<section id="control" data-document-id="${esc(control.id)}" data-clean="${tree.clean}">
<h2>Document control</h2>
<table class="control"><tbody>
${controlRows(control)
  .map(([label, value]) => `<tr><th scope="row">${esc(label)}</th><td>${esc(value)}</td></tr>`)
  .join('\n')}
</tbody></table>
<p class="note">${esc(CONTROL_NOTE)}</p>
</section>
`;
}

/** Blank lines to sign: a name typed in (--prepared-by) is not a signature, so those cells stay blank. */
function signOffHtml(control: DocumentControl): string {
  return `<section id="sign-off">
<h2>Approval of this report</h2>
<table class="sign-off"><thead><tr><th>Role</th><th>Name</th><th>Signature</th><th>Date</th></tr></thead><tbody>
${SIGN_OFF.map(({ role }) => {
  const name = control.signOff.find((s) => s.role === role)?.name;
  return `<tr><th scope="row">${esc(role)}</th><td class="line">${esc(name ?? '')}</td><td class="line"></td><td class="line"></td></tr>`;
}).join('\n')}
</tbody></table>
<p class="note">Document id ${esc(control.id)}. A copy whose id differs was made from other inputs.</p>
</section>
`;
}

/** The files entries cite, with the digest the log recorded and whether the working tree still has it. */
function evidenceHtml(files: NonNullable<AuditorReport['evidence']>, more = 0): string {
  const rows = files
    .map(
      (f) =>
        `<tr class="evidence-file ${f.state}" data-state="${f.state}"><td><code>${esc(f.path)}</code></td><td><span class="digest" title="SHA-256 ${f.sha256}">${f.sha256}</span></td><td>${esc(evidenceEntriesWords(f))}</td><td class="state">${esc(evidenceStateWords(f))}</td></tr>`,
    )
    .join('\n');
  return `
<section id="evidence">
<h2>Evidence files cited by the log</h2>
<p>${esc(evidenceSentence(files, more))}</p>
${files.length ? `<table><thead><tr><th>File</th><th>SHA-256 as recorded</th><th>Cited by</th><th>In the working tree</th></tr></thead><tbody>\n${rows}\n</tbody></table>` : '<p class="empty">No entry cites a file.</p>'}
</section>
`;
}

/** Clauses 4 to 10: what evidences each, what does not; then the internal audit programme, overdue audits marked. */
function clausesHtml(report: ClauseReport): string {
  const evidenced = report.clauses.filter((c) => c.evidenced).length;
  const rows = report.clauses
    .map(
      (c) =>
        `<tr data-clause="${esc(c.clause)}" data-evidenced="${c.evidenced}"><td><strong>${esc(c.clause)}</strong> ${esc(c.title)}</td><td>${esc(clauseEvidenceWords(c)) || '—'}</td><td class="missing">${esc(clauseGapWords(c)) || '—'}</td><td>${esc(nonconformityWordsOfClause(c)) || '—'}</td></tr>`,
    )
    .join('\n');
  const programme = report.programme.length
    ? `<table><thead><tr><th>Audit</th><th>Scope</th><th>Criteria</th><th>Planned</th><th>Auditor (planned)</th><th>State</th></tr></thead><tbody>${report.programme
        .map((row) => {
          const words = programmeWords(row);
          return `<tr data-audit="${esc(row.audit.id)}" data-overdue="${row.overdue}"><td>${esc(row.audit.id)}</td><td>${esc(words.scope)}</td><td>${esc(row.audit.criteria)}</td><td>${esc(row.audit.planned)}</td><td>${esc(row.audit.auditor)}</td><td${row.overdue ? ' class="status major"' : ''}>${esc(words.state)}</td></tr>`;
        })
        .join('')}</tbody></table>`
    : '<p class="empty">No internal audit programme: the configuration plans no audits (audits:).</p>';
  const unplanned = report.unplanned
    .map(
      (u) =>
        `<p class="missing">Entry ${u.seq} records audit ${esc(u.audit)}, which the programme does not plan.</p>`,
    )
    .join('');
  const earlier = earlierUnplannedWords(report);
  return `
<section id="clauses">
<h2>Management system — ISO/IEC 42001:2023 clauses 4 to 10</h2>
<p>${evidenced} of ${report.clauses.length} clauses are evidenced by the audit log or the documents checked; the others are not evidenced here, which says nothing of evidence kept elsewhere.</p>
<table>
<thead><tr><th>Clause</th><th>Evidenced by</th><th>Not evidenced</th><th>Nonconformities</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h3>Internal audit programme (clause 9.2)</h3>
${programme}${unplanned}${earlier ? `<p class="missing">${esc(earlier)}</p>` : ''}
</section>
`;
}

/** One control: its objective under its title, the evidence as a list (documents with digests, log entries), what is missing. */
function soaRow(r: ApplicabilityRow): string {
  const items = evidenceItems(r).map((item) =>
    'document' in item
      ? `<li class="document"><code>${esc(item.document.path)}</code> <span class="digest" title="SHA-256 ${item.document.sha256}">${item.document.sha256.slice(0, 16)}…</span></li>`
      : 'entry' in item
        ? `<li class="entry" data-seq="${item.entry.seq}">log ${esc(evidenceEntryWords(item.entry))}</li>`
        : `<li${'more' in item ? ' class="more"' : ''}>${esc('more' in item ? item.more : item.named)}</li>`,
  );
  const evidence = [
    items.length ? `<ul class="evidence">${items.join('')}</ul>` : '',
    r.missing ? `<p class="missing"><strong>Missing:</strong> ${esc(r.missing)}</p>` : '',
  ].join('');
  return `<tr data-control="${r.control}" data-applicable="${r.applicable}" data-flags="${r.flags.length}" data-status="${r.status}" data-automatic="${r.automatic}"><td><strong>${r.control}</strong> ${esc(r.title)}<br><small class="objective">${esc(r.objectiveId)} ${esc(r.objective)}</small></td><td>${esc(declaredWords(r))}</td><td>${esc(r.justification) || '—'}</td><td>${esc(r.tested) || '—'}</td><td>${evidence || '—'}</td><td class="status ${r.status.replace(/ /g, '-')}">${APPLICABILITY_STATUS[r.status]}</td><td class="flags">${r.flags.length ? `<ul>${r.flags.map((f) => `<li class="flag">${esc(f)}</li>`).join('')}</ul>` : '—'}</td></tr>`;
}

/** Events, each entry from a verification break on marked: the chain no longer vouches for them. */
function eventTable(
  report: Pick<AuditorReport, 'signatures'>,
  events: AuditEntry[],
  unproven = Number.POSITIVE_INFINITY,
): string {
  return `<table class="events"><thead><tr><th>#</th><th>Time (UTC)</th><th>Event</th><th>System</th><th>Actor</th><th>Details</th></tr></thead><tbody>${events
    .map(
      (e) =>
        `<tr class="event${e.seq >= unproven ? ' unproven' : ''}${report.signatures?.[e.seq]?.forged ? ' forged' : ''}" data-type="${esc(e.type)}" data-system="${esc(e.subject?.system ?? '')}"><td>${e.seq}${e.seq >= unproven ? ` <span class="mark">${UNPROVEN_MARK}</span>` : ''}</td><td>${esc(e.time)}</td><td>${esc(eventLabel(e.type))}</td><td>${esc(e.subject.system ?? '—')}</td><td>${esc(entryActorWords(report, e))}</td><td>${esc(eventDetails(e))}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

/**
 * A bar chart as inline SVG (the report loads nothing): one group of bars per month, one bar per series,
 * each with its figure as a tooltip and in the table a screen reader gets from the title.
 */
function barChart(
  title: string,
  months: { month: string }[],
  series: { name: string; values: number[] }[],
): string {
  const width = 360;
  const height = 140;
  const top = 16;
  const bottom = 20;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const group = width / months.length;
  const bar = Math.max(2, (group - 4) / series.length);
  const bars = months
    .map((m, i) =>
      series
        .map((s, j) => {
          const value = s.values[i]!;
          const h = ((height - top - bottom) * value) / max;
          return `<rect class="bar s${j}" x="${(i * group + 2 + j * bar).toFixed(1)}" y="${(height - bottom - h).toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(m.month)} ${esc(s.name)}: ${value}</title></rect>`;
        })
        .join(''),
    )
    .join('');
  const labels = months
    .map(
      (m, i) =>
        `<text x="${(i * group + group / 2).toFixed(1)}" y="${height - 6}" text-anchor="middle">${esc(m.month.slice(5))}</text>`,
    )
    .join('');
  const legend = series.map((s, j) => `<span class="key s${j}">■</span> ${esc(s.name)}`).join(' ');
  return `<figure class="chart"><figcaption>${esc(title)} <small>(max ${max})</small></figcaption><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">${bars}${labels}</svg><div class="legend">${legend}</div></figure>`;
}

function card(id: string, value: number, label: string): string {
  return `<div class="card" id="count-${id}"><span class="value">${value}</span><span class="label">${label}</span></div>`;
}

function tier(value: string | undefined): string {
  return value ? `<span class="tier ${value}">${value}</span>` : '—';
}

const STYLE = `
:root { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; }
body { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 24px; } h2 { margin-top: 32px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.meta { color: #59636e; margin: 0 0 16px; }
.banner { padding: 12px 16px; border-radius: 6px; border: 1px solid; } .banner p { margin: 4px 0 0; }
.banner.ok { background: #dafbe1; border-color: #4ac26b; } .banner.failed { background: #ffebe9; border-color: #ff8182; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 8px; margin: 16px 0; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; } .card .value { display: block; font-size: 22px; font-weight: 600; }
.card .label { color: #59636e; font-size: 12px; }
.filters { position: sticky; top: 0; background: #fff; padding: 8px 0; display: flex; gap: 16px; align-items: center; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; } th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #eaeef2; }
th { background: #f6f8fa; } .events td:nth-child(2) { white-space: nowrap; } code { font-size: 12px; } .digest { font-family: ui-monospace, monospace; font-size: 11px; color: #59636e; }
.empty { color: #59636e; font-style: italic; }
tr.unproven { background: #fff8c5; } .mark { color: #9a6700; font-weight: 600; white-space: nowrap; }
.sev, .tier { padding: 0 6px; border-radius: 10px; font-size: 12px; }
.sev.major, .tier.prohibited, .status.major { background: #ffebe9; } .sev.minor, .tier.high, .status.minor { background: #fff8c5; }
.sev.observation, .status.observation { background: #ddf4ff; } .status.conformant { background: #dafbe1; } .status.documented { background: #eef6ee; } .status.not-addressed, .status.flagged { background: #ffebe9; font-weight: 600; }
ul.evidence { margin: 0; padding-left: 16px; } .evidence .more { color: #59636e; list-style: none; } .missing { margin: 4px 0 0; color: #9a6700; } .objective { color: #59636e; }
[hidden] { display: none !important; }
.note { color: #59636e; } .bad-lines { color: #9a6700; font-weight: 600; }
tr.nc.overdue td { background: #ffebe9; } tr.nc.closed { color: #59636e; } tr.deployment.rejected td:nth-child(5) { color: #cf222e; font-weight: 600; }
tr.not-gate td:last-child { color: #9a6700; }
tr.forged td { color: #cf222e; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; } .chart { margin: 0; } .chart text { font-size: 10px; fill: #59636e; }
.bar.s0, .key.s0 { fill: #0969da; color: #0969da; } .bar.s1, .key.s1 { fill: #1a7f37; color: #1a7f37; } .bar.s2, .key.s2 { fill: #bf8700; color: #bf8700; }
.control th { width: 220px; background: #f6f8fa; } .control td { word-break: break-all; }
.sign-off td.line { height: 32px; border-bottom: 1px solid #1f2328; min-width: 120px; }
tr.evidence-file.missing td.state, tr.evidence-file.changed td.state, tr.evidence-file.refused td.state { color: #cf222e; font-weight: 600; }
@media print {
  .filters { display: none; } body { max-width: none; padding: 0; font-size: 11px; }
  section { break-inside: auto; } tr { break-inside: avoid; } h2 { break-after: avoid; } .banner { break-inside: avoid; }
  .card, table.control, table.sign-off { break-inside: avoid; }
}`;

const SCRIPT = `
(function () {
  var system = document.getElementById('filter-system');
  var type = document.getElementById('filter-type');
  var environment = document.getElementById('filter-environment');
  var counter = document.getElementById('event-count');
  function apply() {
    var shown = 0, total = 0;
    document.querySelectorAll('.system-timeline').forEach(function (section) {
      section.hidden = Boolean(system.value) && section.dataset.system !== system.value;
    });
    document.querySelectorAll('#timeline tr.event').forEach(function (row) {
      var visible = !row.closest('.system-timeline').hidden && (!type.value || row.dataset.type === type.value);
      row.hidden = !visible;
      total++;
      if (visible) shown++;
    });
    document.querySelectorAll('#gates tr.event, #inventory tbody tr, #findings li, #nonconformities tr.nc').forEach(function (row) {
      row.hidden = Boolean(system.value) && row.dataset.system !== system.value || (row.matches('#gates tr') && Boolean(type.value) && row.dataset.type !== type.value);
    });
    document.querySelectorAll('#deployments tr.deployment').forEach(function (row) {
      row.hidden = Boolean(system.value) && row.dataset.system !== system.value || Boolean(environment.value) && row.dataset.environment !== environment.value;
    });
    counter.textContent = shown + ' of ' + total + ' events';
  }
  system.addEventListener('change', apply);
  type.addEventListener('change', apply);
  environment.addEventListener('change', apply);
})();`;

/** Each document read through an importer: what was mapped from where, the original text, what was not mapped. */
function importsHtml(systems: SystemSummary[]): string {
  const imports = systems.flatMap((s) => (s.imports ?? []).map((imp) => ({ system: s.id, imp })));
  if (!imports.length) return '';
  return `<h3>Documents in other formats</h3>
<p>Read through an importer: each aims-gate field, the original field it came from, and the original text.</p>
${imports
  .map(
    ({ system, imp }) =>
      `<div class="import" data-system="${esc(system)}"><p><strong>${esc(system)}</strong>, <code>${esc(imp.path)}</code>: ${esc(importSentence(imp))}</p>
<table><thead><tr><th>aims-gate field</th><th>From</th><th>As written</th></tr></thead><tbody>
${imp.mapped.map((row) => `<tr><td><code>${esc(row.to)}</code></td><td><code>${esc(importOrigin(row))}</code></td><td>${esc(row.text ?? '—')}</td></tr>`).join('\n')}
</tbody></table></div>`,
  )
  .join('\n')}`;
}
