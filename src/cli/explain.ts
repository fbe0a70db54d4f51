import { REQUIRED_DETAILS } from '../audit/entry.js';
import { BUILT_IN_CHECKS } from '../builtin-checks.js';
import { controlTitle, EVENT_LOG_CONTROL, GATE_WRITTEN_CONTROLS, LOG_EVIDENCE } from '../controls.js';
import { UsageError } from '../errors.js';
import { loadPolicy } from '../policy/load.js';
import { conditionInWords } from '../policy/when.js';
import { acceptedHeadings, type SectionSpec, sectionSpec } from '../rules/sections.js';
import { justificationWords, loadStatement } from '../soa.js';
import { LocalSource } from '../sources/local.js';
import { closest } from '../spelling.js';
import { locate } from './context.js';
import type { Output } from './main.js';
import { parseCommand } from './options.js';

/** Explains one rule (title, controls, remedy), a built-in check or a control, or lists the rules. */
export async function explain(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, { config: { type: 'string', short: 'c' } });
  const source = new LocalSource(locate().root);
  const policy = await loadPolicy(source, values.config);
  if (positionals.length > 1)
    throw new UsageError(`explain takes one id, not ${positionals.length}: ${positionals.join(' ')}`);
  // A control typed in lower case (a.6.2.5) is the control.
  const id = positionals[0]?.replace(/^a\.(?=\d)/, 'A.');
  if (!id) {
    const width = Math.max(...policy.rules.map((r) => r.id.length));
    io.out(`${policy.rules.length} rules from ${policy.packs.join(' + ')}:\n`);
    for (const r of policy.rules) io.out(`  ${r.id.padEnd(width)}  ${r.severity.padEnd(11)}  ${r.title}\n`);
    return 0;
  }
  const rule = policy.rules.find((r) => r.id === id);
  const builtIn = (BUILT_IN_CHECKS as Record<string, { title: string; severity: string; remedy: string }>)[
    id
  ];
  if (!rule && builtIn) {
    io.out(
      `${id}: ${builtIn.title}\n  severity  ${builtIn.severity}\n  defined   by aims-gate itself (in no policy pack; it cannot be disabled)\n  fix       ${builtIn.remedy}\n`,
    );
    return 0;
  }
  if (!rule && controlTitle(id) !== id) {
    // A control or clause a finding cites: its title, and what here evidences it.
    const citing = policy.rules.filter((r) => r.controls.includes(id) || r.clauses?.includes(id));
    const declared = (await loadStatement(source, policy)).controls[id];
    const types = [...(LOG_EVIDENCE[id] ?? []), ...(declared?.events ?? [])];
    // Said as the report counts them: with the details their type requires, and only the gate's where it must be.
    const logged = [
      ...types.map((t) => {
        const details = Object.keys(REQUIRED_DETAILS[t] ?? {});
        return details.length ? `${t} (saying ${details.join(', ')})` : t;
      }),
      ...(id === EVENT_LOG_CONTROL ? ['the governance log, verified, as supporting evidence only'] : []),
    ];
    if (types.length && GATE_WRITTEN_CONTROLS.has(id)) logged.push('each signed by a gate or app key');
    io.out(
      `${id}: ${controlTitle(id)} (ISO/IEC 42001)\n${
        declared
          ? `  declared  ${declared.applicable ? 'applicable' : 'not applicable'}${declared.status ? `, ${declared.status}` : ''}${declared.owner ? `, owner ${declared.owner}` : ''}: ${declared.justification.exclusion ?? justificationWords(declared)}\n`
          : ''
      }${
        citing.length
          ? citing.map((r) => `  rule      ${r.id}  ${r.title}\n`).join('')
          : '  rules     none here cite it\n'
      }${logged.length ? `  log       ${logged.join(', ')}\n` : ''}`,
    );
    return 0;
  }
  const disabled = policy.disabled.find((d) => d.id === id);
  if (!rule && disabled) {
    io.out(`${id}: disabled here: ${disabled.reason}\n`);
    return 0;
  }
  if (!rule) {
    const near = closest(id, [...policy.rules.map((r) => r.id), ...Object.keys(BUILT_IN_CHECKS)]);
    throw new UsageError(
      `no rule "${id}" in ${policy.packs.join(' + ')}${near ? `; did you mean "${near}"?` : ''}`,
    );
  }
  const lines = [
    `${rule.id}: ${rule.title}`,
    `  severity  ${rule.severity}`,
    `  kind      ${rule.kind}`,
    `  defined   ${rule.origin.path}${rule.origin.line ? `:${rule.origin.line}` : ''}`,
    ...rule.controls.map((c, i) => `  ${i === 0 ? 'controls ' : '         '} ${c} ${controlTitle(c)}`),
    ...(rule.clauses ?? []).map((c, i) => `  ${i === 0 ? 'clauses  ' : '         '} ${c} ${controlTitle(c)}`),
    ...(rule.when ? [`  applies   where ${conditionInWords(rule.when)}`] : []),
    ...(rule.kind === 'sections'
      ? (rule.sections as (string | SectionSpec)[])
          .map(sectionSpec)
          .map((spec, i) => `  ${i === 0 ? 'headings ' : '         '} ${acceptedHeadings(spec)}`)
      : []),
    `  fix       ${rule.remedy}`,
  ];
  io.out(`${lines.join('\n')}\n`);
  return 0;
}
