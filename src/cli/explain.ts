import { resolve } from 'node:path';
import { controlTitle } from '../controls.js';
import { UsageError } from '../errors.js';
import { loadPolicy } from '../policy/load.js';
import { acceptedHeadings, type SectionSpec, sectionSpec } from '../rules/sections.js';
import { closest } from '../schema.js';
import { LocalSource } from '../sources/local.js';
import type { Output } from './main.js';
import { parseCommand } from './options.js';

/** Explains one rule (title, controls, remedy), or lists them all. */
export async function explain(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, { config: { type: 'string' } });
  const policy = await loadPolicy(new LocalSource(resolve('.')), values.config);
  const [id] = positionals;
  if (!id) {
    const width = Math.max(...policy.rules.map((r) => r.id.length));
    io.out(`${policy.rules.length} rules from ${policy.packs.join(' + ')}:\n`);
    for (const r of policy.rules) io.out(`  ${r.id.padEnd(width)}  ${r.severity.padEnd(11)}  ${r.title}\n`);
    return 0;
  }
  const rule = policy.rules.find((r) => r.id === id);
  if (!rule) {
    const near = closest(
      id,
      policy.rules.map((r) => r.id),
    );
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
    ...(rule.when ? [`  applies   where ${JSON.stringify(rule.when)}`] : []),
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
