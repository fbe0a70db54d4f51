import { type EventDraft, type EventType, formatCheckpoint } from '../audit/entry.js';
import type { FileStore } from '../audit/file-store.js';
import {
  actionOwners,
  changedSubstance,
  closureGaps,
  daysOpen,
  isAutomatic,
  isGraver,
  isObservation,
  isOverdue,
  isSooner,
  judgeIndependence,
  NC_GRADES,
  NC_SOURCES,
  type Nonconformity,
  nonconformityRegister,
  substanceChangeRefusal,
  verifiesPersons,
} from '../audit/nonconformities.js';
import { readEntriesSync } from '../audit/read.js';
import type { TrustedKey } from '../audit/signature.js';
import { record as recordEvent } from '../audit/store.js';
import { verifyLog } from '../audit/verify.js';
import { clauseIds, controlIds } from '../controls.js';
import { UsageError } from '../errors.js';
import { citedWords, independenceWords } from '../report/auditor-words.js';
import { printable } from '../report/printable.js';
import { plural } from '../report/words.js';
import type { Severity } from '../types.js';
import { evidenceOf, knownSystem, personSigner, trustedSigners } from './audit.js';
import { locate, logFor, shown, whoAndWhere } from './context.js';
import type { Output } from './main.js';
import { choice, dateOption, parseCommand, today } from './options.js';

const SUBCOMMANDS = [
  'list',
  'open',
  'update',
  'regrade',
  'root-cause',
  'action',
  'done',
  'review',
  'link',
  'close',
] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** The options each subcommand takes besides --log, --evidence, --actor and --sign-with: any other is refused. */
const TAKES: Record<Subcommand, string[]> = {
  list: ['all', 'format', 'today'],
  open: ['title', 'grade', 'source', 'system', 'control', 'clause', 'owner', 'due', 'link'],
  update: ['grade', 'owner', 'due', 'reason', 'root-cause', 'title', 'control', 'clause'],
  regrade: ['grade', 'reason'],
  'root-cause': ['cause'],
  action: ['action', 'owner', 'due'],
  done: ['action'],
  review: ['effective', 'note'],
  link: [],
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

/** The register, and whether the log it is read from verifies; `trusted` judges who signed reviews and closures. */
async function registerOf(store: FileStore, trusted: readonly TrustedKey[]) {
  if (!(await store.exists())) return { ...nonconformityRegister([]), found: false, broken: undefined };
  const broken = await brokenReason(store);
  // Streamed through the register: a log of a million entries costs the memory of its nonconformities.
  return { ...nonconformityRegister(readEntriesSync(store), { trusted }), found: true, broken };
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
function openOne(
  register: Awaited<ReturnType<typeof registerOf>>,
  store: FileStore,
  typed: string | undefined,
  command: string,
): Nonconformity {
  if (!typed) throw new UsageError(`nonconformity ${command} needs the nonconformity's id, e.g. NC-12`);
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

/** The command that supplies what a closure lacks. */
function remedyOf(gap: string, id: string): string {
  if (gap.startsWith('no root cause')) return `aims-gate nc root-cause ${id} --cause TEXT`;
  if (gap.includes('not done')) return `aims-gate nc done ${id}`;
  if (gap.startsWith('no corrective action')) return `aims-gate nc action ${id} --action TEXT, then nc done`;
  if (gap.includes('effectiveness review'))
    return `aims-gate nc review ${id} --effective yes --note TEXT, by someone other than the action owner`;
  return 'someone other than the action owner closes it, signing with --sign-with';
}

function line(nc: Nonconformity, day: string): string {
  const due = nc.due ? `due ${nc.due}${nc.dueByDefault ? ' (default)' : ''}` : 'no due date';
  const refused = nc.refusedClosures.at(-1);
  const state = nc.closed
    ? `closed ${nc.closed.time.slice(0, 10)} after ${plural(daysOpen(nc, day), 'day')}${nc.closed.independence ? ` by ${independenceWords(nc.closed.independence)}` : ''}`
    : `open since ${nc.opened.time.slice(0, 10)}, ${isObservation(nc) ? 'an observation' : due}${isOverdue(nc, day) ? ' OVERDUE' : ''}${nc.corrected ? `, corrected (${nc.corrected.note}) and waiting for: ${closureGaps(nc).join('; ')}` : ''}${refused ? `, its closure in entry ${refused.seq} did not count (${refused.reasons.join('; ')})` : ''}`;
  const actions = nc.actions.filter((a) => !a.completed).length;
  const was = changedSubstance(nc);
  return `${nc.id}  ${nc.grade}  ${nc.system ?? '(organisation)'}  ${nc.title}${citedWords(nc)}\n    ${nc.source}, ${state}, owner ${nc.owner ?? 'none'}${nc.rootCause ? `, root cause: ${nc.rootCause}` : ''}${actions ? `, ${plural(actions, 'corrective action')} open` : ''}${nc.links.length ? `, linked with ${nc.links.join(', ')}` : ''}${was.length ? `; when opened: ${was.join(', ')}` : ''}\n`;
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
          : `--clause ${clause} is no ISO/IEC 42001:2023 clause (4.1 to 10.2, with subclauses such as 9.2.2)`,
      );
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters refused in what is recorded
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * aims-gate nonconformity: the register (list) and the way to open, update, regrade, act on, review, link and
 * close a nonconformity; each change is one audit log entry, checked before it is written.
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
    link: { type: 'string', multiple: true, default: [] },
    owner: { type: 'string' },
    due: { type: 'string' },
    reason: { type: 'string' },
    'root-cause': { type: 'string' },
    cause: { type: 'string' },
    action: { type: 'string' },
    effective: { type: 'string' },
    note: { type: 'string' },
    evidence: { type: 'string', multiple: true, default: [] },
    actor: { type: 'string' },
    'sign-with': { type: 'string' },
  });
  const given = rest.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!);
  for (const option of given)
    if (!['log', 'evidence', 'actor', 'sign-with', ...TAKES[subcommand]].includes(option) && option !== '')
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
  if (values.effective) choice('effective', values.effective, ['yes', 'no']);
  citations(values.control, values.clause);
  const trusted = await trustedSigners(root, undefined, undefined);
  const personsVerified = verifiesPersons(trusted);

  if (subcommand === 'list') {
    const day = today(values.today);
    const format = choice('format', values.format, ['text', 'json']);
    const register = await registerOf(store, trusted);
    const shownOnes = register.nonconformities.filter((n) => values.all || !n.closed);
    if (format === 'json') {
      const { found: _found, ...data } = register;
      io.out(`${JSON.stringify({ ...data, nonconformities: shownOnes }, null, 2)}\n`);
    } else {
      const open = register.nonconformities.filter((n) => !n.closed && !isObservation(n));
      const all = register.nonconformities.filter((n) => !isObservation(n));
      const observations = register.nonconformities.filter((n) => !n.closed && isObservation(n));
      if (!register.found) io.out(`no audit log at ${shown(store.path)}: no nonconformity is recorded\n`);
      else
        io.out(
          `${plural(open.length, 'open nonconformity')} (${open.filter((n) => isOverdue(n, day)).length} overdue), ${all.length - open.length} closed; ${plural(observations.length, 'open observation')} (no nonconformities)\n`,
        );
      for (const nc of shownOnes) io.out(line(printable(nc), day));
      for (const problem of register.problems) io.err(`aims-gate: ${printable(problem)}\n`);
    }
    if (register.broken)
      io.err(`aims-gate: ${register.broken}: this register cannot be relied on; run aims-gate verify\n`);
    return register.broken ? 1 : 0;
  }

  const signer = values['sign-with'] ? personSigner(values['sign-with']) : undefined;
  const { actor, subject } = await whoAndWhere(root, values.actor);
  // Who is writing, as the configuration's keys prove it (a trusted person's key), or as typed.
  const person = signer
    ? trusted.find((k) => k.role === 'person' && keyBody(k.key) === keyBody(signer.publicKey))
    : undefined;
  const writer = { ...(person ? { person } : {}), login: actor.login };
  let draft: { type: EventType; system?: string; details: EventDraft['details'] };
  const id = positionals[0];
  const optional = (entries: Record<string, string | undefined>) =>
    Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as Record<string, string>;
  if (subcommand === 'open') {
    if (!values.title) throw new UsageError('nonconformity open needs --title: what is not fulfilled');
    if (!values.source)
      throw new UsageError(`nonconformity open needs --source: one of ${MANUAL_SOURCES.join(', ')}`);
    choice('source', values.source, MANUAL_SOURCES);
    if (values.due && values.due < new Date().toISOString().slice(0, 10))
      throw new UsageError(`--due ${values.due} is past: a nonconformity opened today is due today or later`);
    if (values.grade === 'observation' && values.due)
      throw new UsageError(
        'an observation has no due date (it is no nonconformity): leave out --due, or open it as minor or major',
      );
    if (values.system) await knownSystem(root, store, values.system);
    if (values.link.length) {
      const register = await registerOf(store, trusted);
      refuseBroken(register.broken);
      for (const other of values.link) linkable(register.nonconformities, idOf(other), values.system);
    } else if (await store.exists()) refuseBroken(await brokenReason(store));
    draft = {
      type: 'nonconformity.opened',
      ...(values.system ? { system: values.system } : {}),
      details: {
        grade: values.grade ?? 'major',
        source: values.source,
        title: values.title,
        ...(values.control.length ? { controls: values.control } : {}),
        ...(values.clause.length ? { clauses: values.clause } : {}),
        ...(values.link.length ? { links: values.link.map(idOf) } : {}),
        ...optional({ owner: values.owner, due: values.due }),
      },
    };
  } else {
    const register = await registerOf(store, trusted);
    const nc = openOne(register, store, id, subcommand);
    const about = (type: EventType, details: EventDraft['details']) => ({
      type,
      system: nc.system,
      details: { nc: nc.id, ...details },
    });
    switch (subcommand) {
      case 'update': {
        if (values.grade)
          throw new UsageError(
            `a grade changes with its reason, as its own entry: aims-gate nc regrade ${nc.id} --grade ${values.grade} --reason TEXT`,
          );
        if (values.due && !values.reason)
          throw new UsageError('a due date moves with a --reason, which the register shows beside it');
        if (values.due && isObservation(nc))
          throw new UsageError(`${nc.id} is an observation, which has no due date`);
        // A later due date decides when it counts as overdue: not the action owner's to grant themselves.
        if (values.due)
          refuseSubstanceChange(nc, writer, values.reason, personsVerified, isSooner(values.due, nc));
        if (
          !isAutomatic(nc) &&
          (values.owner || values.title || values.control.length || values.clause.length)
        )
          refuseSubstanceChange(nc, writer, values.reason, personsVerified);
        const changes = optional({
          owner: values.owner,
          due: values.due,
          rootCause: values['root-cause'],
          title: values.title,
          reason: values.reason,
        });
        if (!Object.keys(changes).length && !values.control.length && !values.clause.length)
          throw new UsageError(
            'nonconformity update needs something to change: --owner, --due, --root-cause, --title, --control or --clause',
          );
        draft = about('nonconformity.updated', {
          ...changes,
          ...(values.control.length ? { controls: values.control } : {}),
          ...(values.clause.length ? { clauses: values.clause } : {}),
        });
        break;
      }
      case 'regrade':
        if (!values.grade || !values.reason)
          throw new UsageError(
            'nonconformity regrade needs --grade (major, minor, observation) and --reason: why the grade changes',
          );
        if (isAutomatic(nc))
          throw new UsageError(
            `${nc.id} is a finding of ${nc.rule}: its grade is its rule's severity, which the policy sets`,
          );
        if (values.grade === nc.grade) throw new UsageError(`${nc.id} is ${nc.grade} already`);
        refuseSubstanceChange(
          nc,
          writer,
          values.reason,
          personsVerified,
          isGraver(values.grade as Severity, nc.grade),
        );
        draft = about('nonconformity.regraded', { grade: values.grade, reason: values.reason });
        break;
      case 'root-cause':
        if (!values.cause)
          throw new UsageError('nonconformity root-cause needs --cause: why it happened (10.2 b)');
        draft = about('nonconformity.updated', { rootCause: values.cause });
        break;
      case 'action':
        if (!values.action)
          throw new UsageError('nonconformity action needs --action: the corrective action planned');
        draft = about('corrective-action.planned', {
          action: values.action,
          ...optional({ owner: values.owner, due: values.due }),
        });
        break;
      case 'done': {
        const pending = nc.actions.filter(
          (a) => !a.completed && (!values.action || a.action === values.action),
        );
        if (!pending.length)
          throw new UsageError(
            `${nc.id} has no planned corrective action${values.action ? ` "${values.action}"` : ''} to complete; plan one with "aims-gate nonconformity action ${nc.id} --action TEXT"`,
          );
        draft = about('corrective-action.completed', { action: pending[0]!.action });
        break;
      }
      case 'review': {
        if (!values.effective || !values.note)
          throw new UsageError(
            'nonconformity review needs --effective yes|no and --note: how the correction was checked, and what it showed (10.2 d)',
          );
        const independence = judgeIndependence(writer, actionOwners(nc));
        if (independence.status === 'owner' && independence.signed)
          throw new UsageError(
            `${independence.who} owns the action of ${nc.id}: someone other than the action owner reviews whether it was effective`,
          );
        if (personsVerified && !independence.signed) throw new UsageError(unsignedRefusal('review'));
        if (independence.status === 'owner')
          io.err(
            `aims-gate: ${actor.login} is an action owner of ${nc.id}: the register flags a review by its own action owner\n`,
          );
        draft = about('nonconformity.reviewed', {
          effective: values.effective === 'yes',
          note: values.note,
        });
        break;
      }
      case 'link': {
        const other = positionals[1];
        if (!other)
          throw new UsageError(
            'nonconformity link needs two ids: aims-gate nc link NC-12 NC-3fa2… (a manual and an automatic one about the same defect)',
          );
        const target = linkable(register.nonconformities, idOf(other), nc.system);
        if (target.id === nc.id || nc.links.includes(target.id))
          throw new UsageError(`${nc.id} and ${target.id} are linked already, or are one`);
        draft = about('nonconformity.linked', { with: target.id });
        break;
      }
      case 'close': {
        if (isAutomatic(nc))
          throw new UsageError(
            `${nc.id} is a finding of ${nc.rule} on ${nc.system}: it closes when a recorded evaluation ("aims-gate check --record" on the release branch, or the deployment gate) no longer finds it and an effectiveness review says the correction worked (aims-gate nc root-cause, nc review)`,
          );
        if (!values.note)
          throw new UsageError('nonconformity close needs --note: how it was corrected and checked');
        if (!values.evidence.length && !isObservation(nc))
          throw new UsageError('nonconformity close needs --evidence FILE: what shows it was corrected');
        const independence = judgeIndependence(writer, actionOwners(nc));
        if (personsVerified && !independence.signed) throw new UsageError(unsignedRefusal('closure'));
        const gaps = closureGaps(nc, independence, personsVerified);
        if (gaps.length)
          throw new UsageError(
            `${nc.id} cannot close yet (10.2): ${gaps.map((g) => `${g} (${remedyOf(g, nc.id)})`).join('; ')}`,
          );
        if (independence.status === 'owner')
          io.err(
            `aims-gate: ${actor.login} is an action owner of ${nc.id}, as typed: the register flags a closure by its own action owner (one who signs with --sign-with is refused)\n`,
          );
        draft = about('nonconformity.closed', { note: values.note });
        break;
      }
    }
  }
  const evidence = await evidenceOf(root, values.evidence);
  const { entry, checkpoint } = await recordEvent(
    store,
    {
      type: draft.type,
      time: new Date().toISOString(),
      actor,
      subject: { ...subject, ...(draft.system ? { system: draft.system } : {}) },
      details: draft.details,
      evidence,
    },
    signer ? { signer } : {},
  );
  const name = entry.type === 'nonconformity.opened' ? `NC-${entry.seq}` : String(draft.details.nc);
  io.out(
    `recorded entry ${entry.seq} (${entry.type}, ${name}) in ${shown(store.path)}\ncheckpoint ${formatCheckpoint(checkpoint)}\n`,
  );
  if (signer && !person)
    io.err(
      'aims-gate: signed with a key .github/aims-gate.yml does not list under signers with role person: the register treats the entry as unsigned until it does\n',
    );
  return 0;
}

/** Refuses, before anything is written, a change to what a nonconformity is about that the register would not apply. */
function refuseSubstanceChange(
  nc: Nonconformity,
  writer: { person?: TrustedKey; login: string },
  reason: string | undefined,
  personsVerified: boolean,
  graver = false,
): void {
  if (!reason)
    throw new UsageError(
      `what ${nc.id} is about (its grade, title, citations, owner or due date) changes with a --reason, which the register shows beside what it first said`,
    );
  const refusal = substanceChangeRefusal(
    nc,
    judgeIndependence(writer, actionOwners(nc)),
    reason,
    personsVerified,
    graver,
  );
  if (refusal) throw new UsageError(`this change ${refusal}`);
}

const unsignedRefusal = (what: string) =>
  `the configuration lists persons' keys (signers with role person), so a ${what} counts only signed by one: add --sign-with KEY, the private half of your listed key`;

/** The key's base64 body, which names it whatever its comment. */
const keyBody = (key: string) => key.trim().split(/\s+/)[1] ?? '';

/** A nonconformity to link with: one the log knows, about the same AI system (or both the organisation's). */
function linkable(known: readonly Nonconformity[], id: string, system: string | undefined): Nonconformity {
  const other = known.find((n) => n.id === id);
  if (!other)
    throw new UsageError(`${id} is no nonconformity of this log; "aims-gate nc list --all" lists them`);
  if (other.system !== system)
    throw new UsageError(
      `${id} is about ${other.system ?? 'the organisation'}, not ${system ?? 'the organisation'}: link nonconformities about the same defect of the same system`,
    );
  return other;
}
