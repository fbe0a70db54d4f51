import { relative, resolve, sep } from 'node:path';
import { REQUIRED_DETAILS } from '../audit/entry.js';
import { BUILT_IN_CHECKS } from '../builtin-checks.js';
import { controlTitle, EVENT_LOG_CONTROL, GATE_WRITTEN_CONTROLS, LOG_EVIDENCE } from '../controls.js';
import { isReadable, loadDocument, prepareDocumentSchemas } from '../documents/index.js';
import { UsageError } from '../errors.js';
import { summariseImport } from '../formats/index.js';
import { folderPrefix, foldersOf } from '../inventory.js';
import { LIMITS } from '../limits.js';
import { unreadableFile } from '../parse/text.js';
import { CONFIG_PATH, loadPolicy, type Policy } from '../policy/load.js';
import { conditionInWords } from '../policy/when.js';
import { printableText } from '../report/printable.js';
import { importOrigin, importSentence } from '../report/words.js';
import { acceptedHeadings, type SectionSpec, sectionSpec } from '../rules/sections.js';
import { justificationWords, loadStatement } from '../soa.js';
import { LocalSource } from '../sources/local.js';
import { closest } from '../spelling.js';
import { DOCUMENT_KINDS } from '../types.js';
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
  const document = await explainDocument(source, policy, positionals[0]!);
  if (document) {
    io.out(document);
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

/**
 * A governance document, named by its path: how aims-gate reads it. For one in another organisation's format,
 * what was mapped from where (each aims-gate field, the original field and line, the original text), how many
 * questions are answered, and every field that could not be mapped. Undefined when `arg` names no file.
 */
async function explainDocument(
  source: LocalSource,
  policy: Policy,
  arg: string,
): Promise<string | undefined> {
  if (!/[/\\]|\.(ya?ml|json|md|markdown)$/i.test(arg)) return undefined;
  const path = relative(source.root, resolve(arg)).split(sep).join('/');
  const read = await source.read(path, LIMITS.maxFileBytes);
  if ('missing' in read) return undefined;
  const found = [...foldersOf([path], policy.systems)].flatMap(([folder, pattern]) =>
    DOCUMENT_KINDS.filter((kind) =>
      pattern.documents[kind].some((name) => folderPrefix(folder) + name === path),
    ).map((kind) => ({ kind, format: pattern.formats?.[kind] })),
  )[0];
  if (!found)
    throw new UsageError(
      `${path} is no document of a system folder the config declares (systems: and documents: in ${policy.configPath ?? CONFIG_PATH})`,
    );
  if (!('bytes' in read)) throw new UsageError(`${path}: ${unreadableFile(read).message}`);
  await prepareDocumentSchemas();
  const doc = loadDocument(found.kind, path, read.bytes, found.format);
  const as = `${path}: the system's ${found.kind.replace('-', ' ')}${found.format ? ` (format: ${found.format.id}, ${found.format.at})` : ''}`;
  if (!isReadable(doc))
    return `${printableText(as)}\n  cannot be read (line ${doc.problem.line ?? 1}): ${printableText(doc.problem.message)}\n  fix: ${printableText(doc.problem.fix)}\n`;
  if (!doc.imported)
    return `${printableText(as)}\n  read in aims-gate's own format: no importer recognises it\n`;
  const imp = summariseImport(path, doc.imported);
  const width = Math.max(...imp.mapped.map((m) => m.to.length), 0);
  return `${[
    as,
    `  ${importSentence(imp)}`,
    '  mapped (aims-gate field  ←  original field (line): as written):',
    ...imp.mapped.map(
      (m) => `    ${m.to.padEnd(width)}  ←  ${importOrigin(m)}${m.text !== undefined ? `: ${m.text}` : ''}`,
    ),
  ]
    .map(printableText)
    .join('\n')}\n`;
}
