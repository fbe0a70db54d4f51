import type { Finding, Severity } from '../types.js';
import { printable, printableText } from './printable.js';
import { controlCounts, location, plural, setAsideLines, totalsLine, verdictLine } from './words.js';
import type { Writer } from './writer.js';

export interface TextOptions {
  color: boolean;
}

const MARK: Record<Severity, string> = { major: '✖', minor: '▲', observation: '●' };
const COLOR: Record<Severity | 'ok' | 'dim' | 'bold', [number, number]> = {
  major: [31, 39],
  minor: [33, 39],
  observation: [36, 39],
  ok: [32, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/**
 * For a terminal: findings grouped by system, worst first, each with where, what and how to fix it; then the
 * notes, the controls, what was set aside, the totals and the verdict. Written a system at a time as each is
 * judged, each string made printable as it is written, so a large repository never sits in memory.
 */
export function textWriter({ color }: TextOptions): Writer {
  const paint = (style: keyof typeof COLOR, s: string) =>
    color ? `\x1b[${COLOR[style][0]}m${s}\x1b[${COLOR[style][1]}m` : s;
  const out = (lines: string[]) => [`${lines.join('\n')}\n`];
  return {
    head(head) {
      const policy = printable(head.policy);
      return out([
        `aims-gate · ${plural(head.systems, 'AI system')} · policy ${policy.id} (from ${policy.configSource}) · as of ${printableText(head.today)}`,
      ]);
    },
    system({ summary, findings }) {
      if (!summary)
        return out([
          '',
          paint('bold', 'Outside any AI system'),
          ...findings.flatMap((f) => findingLines(printable(f), paint)),
        ]);
      const system = printable(summary);
      const facts = [
        system.version && `v${system.version}`,
        system.tier && `tier ${system.tier}`,
        system.status,
        system.owner && `owner ${system.owner}`,
      ]
        .filter(Boolean)
        .join(' · ');
      const lines = ['', `${paint('bold', system.path)}  ${system.id}${facts ? ` · ${facts}` : ''}`];
      if (system.tierNote) lines.push(`  ${paint('minor', `tier: ${system.tierNote}`)}`);
      if (findings.length === 0) lines.push(`  ${paint('ok', '✔ no findings')}`);
      for (const f of findings) lines.push(...findingLines(printable(f), paint));
      return out(lines);
    },
    tail(tail) {
      const { waivers, disabled } = setAsideLines(tail);
      return out([
        '',
        ...tail.notices.map((notice) => paint('dim', `note: ${printableText(notice)}`)),
        `Controls (ISO/IEC 42001 Annex A): ${controlCounts(tail)}`,
        ...waivers.map(printableText),
        ...disabled.map((line) => paint('dim', printableText(line))),
        '',
        paint('dim', totalsLine(tail)),
        paint(tail.verdict === 'pass' ? 'ok' : 'major', printableText(verdictLine(tail))),
      ]);
    },
  };
}

function findingLines(
  f: Finding,
  paint: (style: 'major' | 'minor' | 'observation' | 'dim', s: string) => string,
): string[] {
  const head = `  ${paint(f.severity, `${MARK[f.severity]} ${f.severity}`)}  ${f.rule}  ${location(f)}${f.waiver ? paint('dim', '  (waived)') : ''}`;
  return [
    head,
    `      ${f.message}`,
    ...(f.original ? [`      ${paint('dim', `as written: ${f.original}`)}`] : []),
    `      ${paint('dim', `fix: ${f.remedy}`)}`,
    ...(f.controls.length ? [`      ${paint('dim', `controls: ${f.controls.join(', ')}`)}`] : []),
    ...(f.waiver
      ? [
          `      ${paint('dim', `waived until ${f.waiver.expires} by ${f.waiver.approver}: ${f.waiver.reason}`)}`,
        ]
      : []),
  ];
}
