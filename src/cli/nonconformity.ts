import { type EventDraft, type EventType, formatCheckpoint } from '../audit/entry.js';
import type { FileStore } from '../audit/file-store.js';
import {
  daysOpen,
  isOverdue,
  NC_GRADES,
  NC_SOURCES,
  type Nonconformity,
  nonconformityRegister,
} from '../audit/nonconformities.js';
import { readEntriesSync } from '../audit/read.js';
import { record as recordEvent } from '../audit/store.js';
import { verifyLog } from '../audit/verify.js';
import { clauseIds, controlIds } from '../controls.js';
import { UsageError } from '../errors.js';
import { citedWords } from '../report/auditor-words.js';
import { printable } from '../report/printable.js';
import { plural } from '../report/words.js';
import { evidenceOf, knownSystem } from './audit.js';
import { locate, logFor, shown, whoAndWhere } from './context.js';
import type { Output } from './main.js';
import { choice, dateOption, parseCommand, today } from './options.js';

const SUBCOMMANDS = ['list', 'open', 'update', 'action', 'done', 'close'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** The options each subcommand takes besides --log, --evidence and --actor: any other is refused, never dropped. */
const TAKES: Record<Subcommand, string[]> = {
  list: ['all', 'format', 'today'],
  open: ['title', 'grade', 'source', 'system', 'control', 'clause', 'owner', 'due'],
  update: ['grade', 'owner', 'due', 'reason', 'root-cause', 'title', 'control', 'clause'],
  action: ['action', 'owner', 'due'],
  done: ['action'],
  close: ['note'],
};

/** Sources a person opens a nonconformity from; `check` opens its own, from evaluations. */
const MANUAL_SOURCES = NC_SOURCES.filter((s) => s !== 'check');

/** Why an existing log is no ground to record on, where its chain does not verify. */
async function brokenReason(store: FileStore): Promise<string | undefined> {
  const verification = await verifyLog(store.blocks());
  return verification.ok
    ? undefined
    : `the audit log ${shown(store.path)} fails verification at entry ${verification.problem!.seq} (${verification.problem!.reason})`;
}

/** The register, and whether the log it is read from verifies. */
async function registerOf(store: FileStore) {
  if (!(await store.exists())) return { ...nonconformityRegister([]), found: false, broken: undefined };
  const broken = await brokenReason(store);
  // Streamed through the register: a log of a million entries costs the memory of its nonconformities.
  return { ...nonconformityRegister(readEntriesSync(store)), found: true, broken };
}

/** Nothing is written on a log that fails verification. */
function refuseBroken(broken: string | undefined): void {
  if (broken) throw new UsageError(`${broken}: nothing is recorded on it; run aims-gate verify`);
}

/** NC-19 as typed: nc-19, 19, NC-19; a finding's NC-3fa2… in any case. */
function idOf(typed: string): string {
  const id = typed.trim();
  if (/^\d+$/.test(id)) return `NC-${id}`;
  const match = /^nc-([0-9a-f]+)$/i.exec(id);
  return match ? `NC-${/^\d+$/.test(match[1]!) ? match[1] : match[1]!.toLowerCase()}` : id;
}

/** The nonconformity an update names, open: anything else is refused before anything is written. */
async function openOne(store: FileStore, typed: string | undefined, command: string): Promise<Nonconformity> {
  if (!typed) throw new UsageError(`nonconformity ${command} needs the nonconformity's id, e.g. NC-12`);
  const register = await registerOf(store);
  refuseBroken(register.broken);
  const id = idOf(typed);
  const nc = register.nonconformities.find((n) => n.id === id);
  if (!nc)
    throw new UsageError(
      `${typed} is no nonconformity of ${shown(store.path)}; "aims-gate nonconformity list --all" lists them`,
    );
  if (nc.closed) throw new UsageError(`${id} was closed in entry ${nc.closed.seq}; open a new one`);
  return nc;
}

function line(nc: Nonconformity, day: string): string {
  const due = nc.due ? `due ${nc.due}${nc.dueByDefault ? ' (default)' : ''}` : 'no due date';
  const state = nc.closed
    ? `closed ${nc.closed.time.slice(0, 10)} after ${plural(daysOpen(nc, day), 'day')}`
    : `open since ${nc.opened.time.slice(0, 10)}, ${due}${isOverdue(nc, day) ? ' OVERDUE' : ''}`;
  const actions = nc.actions.filter((a) => !a.completed).length;
  return `${nc.id}  ${nc.grade}  ${nc.system ?? '(organisation)'}  ${nc.title}${citedWords(nc)}\n    ${nc.source}, ${state}, owner ${nc.owner ?? 'none'}${nc.rootCause ? `, root cause: ${nc.rootCause}` : ''}${actions ? `, ${plural(actions, 'corrective action')} open` : ''}\n`;
}

/**
 * What a nonconformity cites: Annex A controls (--control A.8.3) and management-system clauses (--clause 9.2),
 * each checked against the reference; one given under the other option is refused with the right one.
 */
function citations(controls: string[], clauses: string[]): void {
  for (const control of controls)
    if (!controlIds().includes(control))
      throw new UsageError(
        clauseIds().includes(control)
          ? `--control ${control}: ${control} is a management-system clause, not an Annex A control; cite it with --clause ${control}`
          : `--control ${control} is no ISO/IEC 42001 Annex A control (A.2.2 to A.10.4)`,
      );
  for (const clause of clauses)
    if (!clauseIds().includes(clause))
      throw new UsageError(
        controlIds().includes(clause)
          ? `--clause ${clause}: ${clause} is an Annex A control, not a clause; cite it with --control ${clause}`
          : `--clause ${clause} is no ISO/IEC 42001 management-system clause of the reference (${clauseIds().join(', ')})`,
      );
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters refused in what is recorded
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * aims-gate nonconformity: the register (list) and the way to open, update, act on and close a
 * nonconformity; each change is one audit log entry, checked before it is written.
 */
export async function nonconformity(argv: string[], io: Output): Promise<number> {
  // `nc --all` lists, as `nc` does: only a word names a subcommand.
  const sub = argv[0]?.startsWith('-') ? undefined : argv[0];
  const rest = sub === undefined ? argv : argv.slice(1);
  if (sub !== undefined && !SUBCOMMANDS.includes(sub as Subcommand))
    throw new UsageError(
      `nonconformity has no subcommand "${sub}": use ${SUBCOMMANDS.join(', ')} (list is the default)`,
    );
  const subcommand = (sub ?? 'list') as Subcommand;
  const { values, positionals } = parseCommand(rest, {
    log: { type: 'string' },
    all: { type: 'boolean', default: false },
    format: { type: 'string', short: 'f', default: 'text' },
    today: { type: 'string' },
    title: { type: 'string' },
    grade: { type: 'string' },
    source: { type: 'string' },
    system: { type: 'string' },
    control: { type: 'string', multiple: true, default: [] },
    clause: { type: 'string', multiple: true, default: [] },
    owner: { type: 'string' },
    due: { type: 'string' },
    reason: { type: 'string' },
    'root-cause': { type: 'string' },
    action: { type: 'string' },
    note: { type: 'string' },
    evidence: { type: 'string', multiple: true, default: [] },
    actor: { type: 'string' },
  });
  const given = rest.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!);
  for (const option of given)
    if (!['log', 'evidence', 'actor', ...TAKES[subcommand]].includes(option) && option !== '')
      throw new UsageError(`nonconformity ${subcommand} does not take --${option}`);
  for (const [option, value] of Object.entries(values))
    for (const text of [value].flat())
      if (typeof text === 'string' && CONTROL.test(text))
        throw new UsageError(
          `--${option} holds a control character (a line break, an escape): write it on one line`,
        );
  const root = locate(subcommand === 'list' ? positionals[0] : undefined).root;
  const store = await logFor(root, values.log);
  dateOption('due', values.due);
  if (values.grade) choice('grade', values.grade, NC_GRADES);
  citations(values.control, values.clause);

  if (subcommand === 'list') {
    const day = today(values.today);
    const format = choice('format', values.format, ['text', 'json']);
    const register = await registerOf(store);
    const shownOnes = register.nonconformities.filter((n) => values.all || !n.closed);
    if (format === 'json') {
      const { found: _found, ...data } = register;
      io.out(`${JSON.stringify({ ...data, nonconformities: shownOnes }, null, 2)}\n`);
    } else {
      const open = register.nonconformities.filter((n) => !n.closed);
      if (!register.found) io.out(`no audit log at ${shown(store.path)}: no nonconformity is recorded\n`);
      else
        io.out(
          `${plural(open.length, 'open nonconformity')} (${open.filter((n) => isOverdue(n, day)).length} overdue), ${register.nonconformities.length - open.length} closed\n`,
        );
      for (const nc of shownOnes) io.out(line(printable(nc), day));
      for (const problem of register.problems) io.err(`aims-gate: ${printable(problem)}\n`);
    }
    if (register.broken)
      io.err(`aims-gate: ${register.broken}: this register cannot be relied on; run aims-gate verify\n`);
    return register.broken ? 1 : 0;
  }

  let draft: { type: EventType; system?: string; details: EventDraft['details'] };
  const id = positionals[0];
  const optional = (entries: Record<string, string | undefined>) =>
    Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as Record<string, string>;
  switch (subcommand) {
    case 'open': {
      if (!values.title) throw new UsageError('nonconformity open needs --title: what is not fulfilled');
      if (!values.source)
        throw new UsageError(`nonconformity open needs --source: one of ${MANUAL_SOURCES.join(', ')}`);
      choice('source', values.source, MANUAL_SOURCES);
      if (values.system) await knownSystem(root, store, values.system);
      // Only the chain is needed here, not the register: a long log is not held in memory to open one.
      if (await store.exists()) refuseBroken(await brokenReason(store));
      draft = {
        type: 'nonconformity.opened',
        ...(values.system ? { system: values.system } : {}),
        details: {
          grade: values.grade ?? 'major',
          source: values.source,
          title: values.title,
          ...(values.control.length ? { controls: values.control } : {}),
          ...(values.clause.length ? { clauses: values.clause } : {}),
          ...optional({ owner: values.owner, due: values.due }),
        },
      };
      break;
    }
    case 'update': {
      const nc = await openOne(store, id, subcommand);
      if (values.grade && nc.source === 'check')
        throw new UsageError(
          `${nc.id} is a finding of ${nc.rule}: its grade is its rule's severity, which the policy sets`,
        );
      if (values.due && !values.reason)
        throw new UsageError('a due date moves with a --reason, which the register shows beside it');
      const changes = optional({
        grade: values.grade,
        owner: values.owner,
        due: values.due,
        rootCause: values['root-cause'],
        title: values.title,
        reason: values.reason,
      });
      if (!Object.keys(changes).length && !values.control.length && !values.clause.length)
        throw new UsageError(
          'nonconformity update needs something to change: --owner, --due, --grade, --root-cause, --title, --control or --clause',
        );
      draft = {
        type: 'nonconformity.updated',
        system: nc.system,
        details: {
          nc: nc.id,
          ...changes,
          ...(values.control.length ? { controls: values.control } : {}),
          ...(values.clause.length ? { clauses: values.clause } : {}),
        },
      };
      break;
    }
    case 'action': {
      const nc = await openOne(store, id, subcommand);
      if (!values.action)
        throw new UsageError('nonconformity action needs --action: the corrective action planned');
      draft = {
        type: 'corrective-action.planned',
        system: nc.system,
        details: { nc: nc.id, action: values.action, ...optional({ owner: values.owner, due: values.due }) },
      };
      break;
    }
    case 'done': {
      const nc = await openOne(store, id, subcommand);
      const pending = nc.actions.filter(
        (a) => !a.completed && (!values.action || a.action === values.action),
      );
      if (!pending.length)
        throw new UsageError(
          `${nc.id} has no planned corrective action${values.action ? ` "${values.action}"` : ''} to complete; plan one with "aims-gate nonconformity action ${nc.id} --action TEXT"`,
        );
      draft = {
        type: 'corrective-action.completed',
        system: nc.system,
        details: { nc: nc.id, action: pending[0]!.action },
      };
      break;
    }
    case 'close': {
      const nc = await openOne(store, id, subcommand);
      if (nc.source === 'check')
        throw new UsageError(
          `${nc.id} is a finding of ${nc.rule} on ${nc.system}: it closes itself when a recorded evaluation ("aims-gate check --record" on the release branch, or the deployment gate) no longer finds it`,
        );
      if (!values.note)
        throw new UsageError('nonconformity close needs --note: how it was corrected and checked');
      if (!values.evidence.length)
        throw new UsageError('nonconformity close needs --evidence FILE: what shows it was corrected');
      const pending = nc.actions.filter((a) => !a.completed).length;
      if (pending)
        io.err(
          `aims-gate: ${nc.id} is closed with ${plural(pending, 'corrective action')} not marked done\n`,
        );
      draft = { type: 'nonconformity.closed', system: nc.system, details: { nc: nc.id, note: values.note } };
      break;
    }
  }
  const evidence = await evidenceOf(root, values.evidence);
  const { actor, subject } = await whoAndWhere(root, values.actor);
  const { entry, checkpoint } = await recordEvent(store, {
    type: draft.type,
    time: new Date().toISOString(),
    actor,
    subject: { ...subject, ...(draft.system ? { system: draft.system } : {}) },
    details: draft.details,
    evidence,
  });
  const name = entry.type === 'nonconformity.opened' ? `NC-${entry.seq}` : String(draft.details.nc);
  io.out(
    `recorded entry ${entry.seq} (${entry.type}, ${name}) in ${shown(store.path)}\ncheckpoint ${formatCheckpoint(checkpoint)}\n`,
  );
  return 0;
}
