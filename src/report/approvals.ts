import type { ApprovalResult } from '../approvals.js';
import type { DeploymentVerdict } from '../deployment.js';
import { cell } from './escape.js';

/** The approvals section of a summary: what is required, who counted, what is missing, and what did not count. */
export function renderApprovals(result: ApprovalResult, heading = '### Approvals'): string {
  const out = [heading, ''];
  if (result.groups.length === 0 && result.undecidable.length === 0) {
    out.push('No approvals are required here.');
    return `${out.join('\n')}\n`;
  }
  out.push(`${result.satisfied ? '✅' : '⏳'} ${cell(result.summary)}`, '');
  if (result.groups.length) {
    out.push('| Requirement | Approved by | Missing |', '|---|---|--:|');
    for (const g of result.groups)
      out.push(
        `| ${cell(g.description)} | ${g.approvers.map((a) => `@${a}`).join(', ') || '—'} | ${g.missing} |`,
      );
  }
  for (const g of result.groups) {
    if (!g.unapproved?.length) continue;
    const shown = g.unapproved.slice(0, MAX_PATHS);
    out.push(
      '',
      'Changed paths still without an approval from one of their code owners:',
      ...shown.map(
        (u) =>
          `- \`${cell(u.path)}\`: ${cell(u.owners.join(' or '))} (line ${u.line})${u.note ? `. ${cell(u.note)}` : ''}`,
      ),
      ...(g.unapproved.length > shown.length ? [`- and ${g.unapproved.length - shown.length} more`] : []),
    );
  }
  if (result.ignored.length) {
    out.push('', 'Not counted:', ...result.ignored.map((i) => `- @${cell(i.login)}: ${cell(i.reason)}`));
  }
  return `${out.join('\n')}\n`;
}

/** Paths listed per codeowners requirement: a check run's summary holds at most 65,535 characters. */
const MAX_PATHS = 50;

/** A deployment's change set in a summary: each pull request it ships, its tier and approvals, then what stops it. */
export function renderChangeSet(verdict: DeploymentVerdict, heading: string): string {
  const out = [heading, '', `${verdict.approved ? '✅' : '❌'} ${cell(verdict.reason)}`, ''];
  if (verdict.pullRequests.length) {
    out.push('| Pull request | Tier | Systems | Approvals |', '|---|---|---|---|');
    for (const pr of verdict.pullRequests)
      out.push(
        `| #${pr.number} | ${pr.tier ?? '—'} | ${cell(pr.systems.join(', ')) || '—'} | ${pr.approval.satisfied ? '✅' : '⏳'} ${cell(pr.approval.summary)} |`,
      );
    out.push('');
  }
  if (verdict.problems.length) out.push('What stops it:', ...verdict.problems.map((p) => `- ${cell(p)}`));
  return `${out.join('\n')}\n`;
}
