import type { Evaluation, Finding, Severity } from '../types.js';
import { printable, printableText } from './printable.js';
import {
  bySystem,
  controlCounts,
  location,
  plural,
  setAsideLines,
  totalsLine,
  verdictLine,
} from './words.js';

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
 * For a terminal: findings grouped by system, worst first, each with where, what and how to fix it. Made a system
 * at a time, each string made printable as it is written, so a large repository never sits in memory twice.
 */
export function* textChunks(evaluation: Evaluation, { color }: TextOptions): Generator<string> {
  const paint = (style: keyof typeof COLOR, s: string) =>
    color ? `\x1b[${COLOR[style][0]}m${s}\x1b[${COLOR[style][1]}m` : s;
  const out = (lines: string[]) => `${lines.join('\n')}\n`;
  const policy = printable(evaluation.policy);
  yield out([
    `aims-gate · ${plural(evaluation.systems.length, 'AI system')} · policy ${policy.id} (from ${policy.configSource}) · as of ${printableText(evaluation.today)}`,
    ...evaluation.notices.map((notice) => paint('dim', `note: ${printableText(notice)}`)),
  ]);

  const groups = bySystem(evaluation.findings);

  for (const raw of evaluation.systems) {
    const system = printable(raw);
    const lines: string[] = [];
    const facts = [
      system.version && `v${system.version}`,
      system.tier && `tier ${system.tier}`,
      system.status,
      system.owner && `owner ${system.owner}`,
    ]
      .filter(Boolean)
      .join(' · ');
    lines.push('', `${paint('bold', system.path)}  ${system.id}${facts ? ` · ${facts}` : ''}`);
    if (system.tierNote) lines.push(`  ${paint('minor', `tier: ${system.tierNote}`)}`);
    const findings = groups.get(raw.id) ?? [];
    if (findings.length === 0) lines.push(`  ${paint('ok', '✔ no findings')}`);
    for (const f of findings) lines.push(...findingLines(printable(f), paint));
    yield out(lines);
  }
  const loose = groups.get(undefined) ?? [];
  if (loose.length)
    yield out([
      '',
      paint('bold', 'Outside any AI system'),
      ...loose.flatMap((f) => findingLines(printable(f), paint)),
    ]);

  const { waivers, disabled } = setAsideLines(evaluation);
  yield out([
    '',
    `Controls (ISO/IEC 42001 Annex A): ${controlCounts(evaluation)}`,
    ...waivers.map(printableText),
    ...disabled.map((line) => paint('dim', printableText(line))),
    '',
    paint('dim', totalsLine(evaluation)),
    paint(evaluation.verdict === 'pass' ? 'ok' : 'major', printableText(verdictLine(evaluation))),
  ]);
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
