import type { Evaluation, Finding, Severity } from '../types.js';
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

/** For a terminal: findings grouped by system, worst first, each with where, what and how to fix it. */
export function renderText(evaluation: Evaluation, { color }: TextOptions): string {
  const paint = (style: keyof typeof COLOR, s: string) =>
    color ? `\x1b[${COLOR[style][0]}m${s}\x1b[${COLOR[style][1]}m` : s;
  const lines: string[] = [];
  lines.push(
    `aims-gate · ${plural(evaluation.systems.length, 'AI system')} · policy ${evaluation.policy.id} (from ${evaluation.policy.configSource}) · as of ${evaluation.today}`,
  );
  for (const notice of evaluation.notices) lines.push(paint('dim', `note: ${notice}`));

  const groups = bySystem(evaluation.findings);

  for (const system of evaluation.systems) {
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
    const findings = groups.get(system.id) ?? [];
    if (findings.length === 0) lines.push(`  ${paint('ok', '✔ no findings')}`);
    for (const f of findings) lines.push(...findingLines(f, paint));
  }
  const loose = groups.get(undefined) ?? [];
  if (loose.length) {
    lines.push('', paint('bold', 'Outside any AI system'));
    for (const f of loose) lines.push(...findingLines(f, paint));
  }

  lines.push('', `Controls (ISO/IEC 42001 Annex A): ${controlCounts(evaluation)}`);
  const { waivers, disabled } = setAsideLines(evaluation);
  lines.push(...waivers, ...disabled.map((line) => paint('dim', line)));
  lines.push(
    '',
    paint('dim', totalsLine(evaluation)),
    paint(evaluation.verdict === 'pass' ? 'ok' : 'major', verdictLine(evaluation)),
  );
  return `${lines.join('\n')}\n`;
}

function findingLines(
  f: Finding,
  paint: (style: 'major' | 'minor' | 'observation' | 'dim', s: string) => string,
): string[] {
  const head = `  ${paint(f.severity, `${MARK[f.severity]} ${f.severity}`)}  ${f.rule}  ${location(f)}${f.waiver ? paint('dim', '  (waived)') : ''}`;
  return [
    head,
    `      ${f.message}`,
    `      ${paint('dim', `fix: ${f.remedy}`)}`,
    ...(f.controls.length ? [`      ${paint('dim', `controls: ${f.controls.join(', ')}`)}`] : []),
    ...(f.waiver
      ? [
          `      ${paint('dim', `waived until ${f.waiver.expires} by ${f.waiver.approver}: ${f.waiver.reason}`)}`,
        ]
      : []),
  ];
}
