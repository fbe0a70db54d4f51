import { controlTitle } from '../controls.js';
import type { Evaluation, Finding } from '../types.js';
import { cell, escapeHtml, inline } from './escape.js';
import {
  bySystem,
  CONTROL_STATUS_WORDS,
  location,
  openFindings,
  plural,
  SEVERITY_WORDS,
  verdictLine,
} from './words.js';

const ICON = { major: '🔴', minor: '🟠', observation: '🔵' } as const;

/** For a pull-request comment or a job summary: a table per system, then the findings, then the controls. */
export function renderMarkdown(evaluation: Evaluation): string {
  const out: string[] = [];
  out.push(`## aims-gate: ${evaluation.verdict === 'pass' ? '✅' : '❌'} ${verdictLine(evaluation)}`, '');
  out.push(
    `Policy **${cell(evaluation.policy.id)}** from ${cell(evaluation.policy.configSource)}, as of ${evaluation.today}.`,
    '',
  );
  for (const notice of evaluation.notices) out.push(`> [!NOTE]\n> ${notice}`, '');

  if (evaluation.systems.length > 0) {
    out.push(
      '| AI system | Tier | Status | Owner | Major | Minor | Observations | Waived |',
      '|---|---|---|---|--:|--:|--:|--:|',
    );
    for (const s of evaluation.systems) {
      out.push(
        `| \`${cell(s.path)}\` ${cell(s.id)}${s.version ? ` v${cell(s.version)}` : ''} | ${s.tier ?? '—'}${s.tierNote ? ' ⚠️' : ''} | ${s.status ?? '—'} | ${cell(s.owner ?? '—')} | ${s.counts.major} | ${s.counts.minor} | ${s.counts.observation} | ${s.waived} |`,
      );
    }
    out.push('');
  }

  const findings = evaluation.findings;
  if (findings.length > 0) {
    out.push('### Findings', '');
    for (const [system, list] of bySystem(findings)) {
      out.push(
        `<details${list.some((f) => f.severity === 'major' && !f.waiver) ? ' open' : ''}><summary><b>${escapeHtml(system ?? 'outside any AI system')}</b>: ${plural(list.length, 'finding')}</summary>`,
        '',
      );
      for (const f of list) out.push(findingItem(f));
      out.push('', '</details>', '');
    }
  }

  const assessed = evaluation.controls.filter((c) => c.status !== 'not-evaluated');
  out.push('### ISO/IEC 42001 Annex A controls', '');
  out.push('| Control | Status | Open findings |', '|---|---|--:|');
  for (const c of assessed)
    out.push(`| ${c.control} ${cell(c.title)} | ${CONTROL_STATUS_WORDS[c.status]} | ${c.findings} |`);
  const notEvaluated = evaluation.controls.length - assessed.length;
  if (notEvaluated > 0)
    out.push(
      '',
      `${plural(notEvaluated, 'control')} not evaluated by any rule (organisational controls are evidenced outside the repository).`,
    );

  const waivers = evaluation.waivers;
  if (waivers.length > 0) {
    out.push(
      '',
      '### Waivers',
      '',
      '| Rule | System | Status | Expires | Approver | Reason |',
      '|---|---|---|---|---|---|',
    );
    for (const w of waivers)
      out.push(
        `| ${w.rule} | ${cell(w.system)} | ${w.status} | ${w.expires} | ${cell(w.approver)} | ${cell(w.reason)} |`,
      );
  }
  if (evaluation.disabled.length > 0) {
    out.push('', '### Disabled rules', '', ...evaluation.disabled.map((d) => `- \`${d.id}\`: ${d.reason}`));
  }
  return `${out.join('\n')}\n`;
}

function findingItem(f: Finding): string {
  const where = location(f);
  const waived = f.waiver ? ` _(waived until ${f.waiver.expires}: ${inline(f.waiver.reason)})_` : '';
  return [
    `- ${ICON[f.severity]} **${SEVERITY_WORDS[f.severity]}** \`${f.rule}\`${where ? ` at \`${where}\`` : ''}${waived}  `,
    `  ${inline(f.message)}  `,
    ...(f.original ? [`  _As written:_ ${inline(f.original)}  `] : []),
    `  _Fix:_ ${inline(f.remedy)}${f.controls.length ? ` _(${f.controls.join(', ')})_` : ''}`,
  ].join('\n');
}

/** What each rule with open findings checks, the controls it evidences, and how to fix it: the "Explain" of a check. */
export function renderExplanations(evaluation: Evaluation): string {
  const open = new Set(openFindings(evaluation).map((f) => f.rule));
  const rules = evaluation.rules.filter((r) => open.has(r.id));
  if (rules.length === 0) return 'No open findings: nothing to explain.\n';
  return `${rules
    .map((r) =>
      [
        `#### \`${r.id}\`: ${inline(r.title)} (${SEVERITY_WORDS[r.severity]})`,
        '',
        ...r.controls.map((c) => `- ${c} ${inline(controlTitle(c))}`),
        '',
        `**Fix:** ${inline(r.remedy)}`,
      ].join('\n'),
    )
    .join('\n\n')}\n`;
}
