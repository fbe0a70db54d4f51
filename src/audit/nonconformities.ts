import type { Severity } from '../types.js';
import type { AuditEntry, Evidence } from './entry.js';
import { loginKey } from './organisation.js';
import { signerOf, type TrustedKey } from './signature.js';

/**
 * The nonconformity register (ISO/IEC 42001 clause 10.2), replayed from the audit log. Nothing is kept
 * anywhere else: the log is the register's only source, so the register is as tamper-evident as the log.
 *
 * When a finding becomes a nonconformity: a finding is a proposal until it reaches a system in operation.
 * A major or minor finding that is not waived, in an evaluation of a system whose status is production or
 * deprecated, recorded outside a pull request (`check --record` of a clean, committed tree, the deployment
 * gate), opens a nonconformity of that grade, one per rule and document, owned by the system's owner as the
 * evaluation recorded it (its governance facts). The first such evaluation that no longer finds it at any grade
 * (fixed, waived, its rule disabled, or the system retired) marks it corrected; anything else (an internal or
 * external audit's finding, an incident, a complaint) is opened by hand with `aims-gate nonconformity open` and
 * closed by hand.
 *
 * What 10.2 asks before a closure counts, for both kinds: a root cause, the corrective actions done, and an
 * effectiveness review that found them effective, by someone other than the action owner. A finding's
 * nonconformity closes when it is both corrected and so reviewed; a closure by hand that lacks any of it is
 * refused (it stays open, and the register says why). Where the trusted configuration lists a person's key,
 * a signed entry proves who reviewed or closed: signed by the action owner it does not count; typed by the
 * action owner, unsigned, it counts and is flagged; where it lists any person's key, identities are verified, so an
 * unsigned review or closure does not count at all. A nonconformity opened by hand is its raiser's finding: what
 * it is about (grade, title, citations, owner) changes only with a reason, never by an action owner, present or
 * past, and the register keeps what it first said. Observations are kept in the same log but are no
 * nonconformities: no due date, no closure conditions, never counted as nonconformities.
 */

export const NC_GRADES = ['major', 'minor', 'observation'] as const satisfies readonly Severity[];
export const NC_SOURCES = [
  'check',
  'internal-audit',
  'external-audit',
  'incident',
  'complaint',
  'management-review',
] as const;

/** Days from opening to the due date when nobody set one: a major nonconformity is corrected first. */
export const DEFAULT_DAYS_TO_DUE: Partial<Record<Severity, number>> = { major: 30, minor: 90 };

/** Statuses of a system in operation: findings on them are nonconformities. */
const IN_OPERATION = new Set(['production', 'deprecated']);

export interface LogMark {
  seq: number;
  time: string;
  by: string;
  /** Where the configuration verifies persons: the entry names its writer as typed, signed by no trusted person. */
  unsigned?: true;
}

/**
 * Who reviewed or closed, against the action owners: `verified` signed by a person's key the configuration
 * trusts, not an owner; `unverified` unsigned (or signed by no trusted person's key), not an owner as typed;
 * `owner` an action owner, signed (`signed`) or as typed.
 */
export interface Independence {
  status: 'verified' | 'unverified' | 'owner';
  signed: boolean;
  /** The person, as the signature's key names them or as typed. */
  who: string;
  /** Owners that are teams: their members cannot be compared offline. */
  teams: string[];
}

export interface CorrectiveAction {
  action: string;
  owner?: string;
  due?: string;
  planned: LogMark;
  completed?: LogMark;
}

export type Closure = LogMark & { note: string; evidence: Evidence[]; independence?: Independence };

export type Review = LogMark & {
  effective: boolean;
  note: string;
  evidence: Evidence[];
  independence: Independence;
  /** Not signed by its action owner, nor unsigned where the configuration verifies persons. */
  counts: boolean;
};

export interface Regrade extends LogMark {
  from: Severity;
  to: Severity;
  reason: string;
}

/** What a nonconformity opened by hand is about: what its raiser found, and whose it is. */
export interface Substance {
  grade: Severity;
  title: string;
  controls: string[];
  clauses: string[];
  owner?: string;
  due?: string;
}

export interface Nonconformity {
  /** NC-<seq> for one opened by hand (the entry that opened it), NC-<12 hex> for a finding's (its key). */
  id: string;
  grade: Severity;
  source: string;
  title: string;
  system?: string;
  controls: string[];
  /** Management-system clauses (those the reference lists) it cites: an internal audit's finding is often against one. */
  clauses: string[];
  /** The finding's rule and key (src/fingerprint.ts), for one opened by an evaluation. */
  rule?: string;
  key?: string;
  opened: LogMark;
  /** A finding's: found again after it was corrected or closed; reviews before it no longer count. */
  reopened?: LogMark;
  owner?: string;
  /** Who owned it before: an owner who hands it on is no more independent of it. */
  formerOwners: string[];
  /** One opened by hand: what it said when opened, shown beside what it says now when that differs. */
  original?: Substance;
  due?: string;
  /** The due date is the default for its grade, not one somebody set. */
  dueByDefault: boolean;
  rootCause?: string;
  /** The entry that recorded the root cause (the latest, when it was restated). */
  rootCauseAt?: LogMark;
  actions: CorrectiveAction[];
  /** Effectiveness reviews (10.2 d), in order: the latest since it was (re)opened is the one that counts. */
  reviews: Review[];
  /** Each change of grade, with its reason. */
  regrades: Regrade[];
  /** A finding's: the evaluation that no longer finds it, while its closure waits for a root cause or review. */
  corrected?: LogMark & { note: string };
  closed?: Closure;
  /** Closures that did not count, each with what was missing: it stayed open. */
  refusedClosures: (LogMark & { reasons: string[] })[];
  /** Nonconformities about the same defect (a finding's and the audit's, say), both ways. */
  links: string[];
  /** Why the due date was moved, when it was. */
  dueReason?: string;
  /** Closures before the nonconformity came back (a finding found again). */
  earlierClosures: Closure[];
  /** Every entry that changed it, in order. */
  history: number[];
}

export interface Register {
  nonconformities: Nonconformity[];
  /** Entries that name a nonconformity the log does not know, or are otherwise unusable: shown, never dropped. */
  problems: string[];
}

/** An observation: in the register, but no nonconformity (no due date, no closure conditions, not counted). */
export const isObservation = (nc: Pick<Nonconformity, 'grade'>): boolean => nc.grade === 'observation';

/** Opened by an evaluation (the gate, `check --record`), not by a person. */
export const isAutomatic = (nc: Pick<Nonconformity, 'source'>): boolean => nc.source === 'check';

const mark = (entry: AuditEntry): LogMark => ({ seq: entry.seq, time: entry.time, by: entry.actor.login });

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() ? value.trim() : undefined;

const list = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string')
    : typeof value === 'string'
      ? value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : [];

const grade = (value: unknown): Severity | undefined =>
  NC_GRADES.find((g) => g === value) as Severity | undefined;

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day.slice(0, 10)}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function defaultDue(nc: Nonconformity): void {
  // An observation asks for nothing by a date: whatever was set goes with its grade.
  if (isObservation(nc)) {
    nc.due = undefined;
    nc.dueByDefault = false;
    return;
  }
  if (nc.due && !nc.dueByDefault) return;
  const days = DEFAULT_DAYS_TO_DUE[nc.grade];
  nc.due = days === undefined ? undefined : addDays(nc.opened.time, days);
  nc.dueByDefault = nc.due !== undefined;
}

const KEY = /^[0-9a-f]{32}$/;

/** "KEY SEVERITY RULE", as an evaluated entry lists what is open. */
function openFinding(item: unknown): { key: string; severity: Severity; rule: string } | undefined {
  if (typeof item !== 'string') return undefined;
  const [key, severity, rule] = item.split(' ');
  const g = grade(severity);
  return key && KEY.test(key) && g && rule ? { key, severity: g, rule } : undefined;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** An evaluation proposed by a pull request (by its number, or by a pull request's ref as CI checks it out). */
const fromPullRequest = (entry: AuditEntry) =>
  entry.subject.pullRequest !== undefined || /^refs\/pull\//.test(entry.subject.ref ?? '');

const DATE = /^\d{4}-\d\d-\d\d$/;
const day = (value: unknown): string | undefined => {
  const t = text(value);
  return t && DATE.test(t) && new Date(`${t}T00:00:00Z`).toISOString().startsWith(t) ? t : undefined;
};

/** An owner that is a team (`@org/team`): who belongs to it is GitHub's to say, not the log's. */
const isTeam = (owner: string) => owner.includes('/');

/**
 * The logins a trusted person's key stands for: the words of its name, without a parenthesised comment,
 * e.g. "gov-lead (EXAMPLE ONLY)" → gov-lead, or the principals of an allowed_signers line ("alice,alice@corp").
 */
export function keyLogins(key: TrustedKey): string[] {
  return (key.name ?? '')
    .replace(/\([^)]*\)/g, ' ')
    .split(/[\s,]+/)
    .map(loginKey)
    .filter(Boolean);
}

/** The action owners of a nonconformity: its owner, those before, and the owners of its corrective actions. */
export function actionOwners(nc: Pick<Nonconformity, 'owner' | 'formerOwners' | 'actions'>): string[] {
  return [
    ...new Set(
      [nc.owner, ...nc.formerOwners, ...nc.actions.map((a) => a.owner)].filter((o): o is string =>
        Boolean(o),
      ),
    ),
  ];
}

/** Whether the configuration lists any person's key: then who reviewed or closed is proven, or not believed. */
export const verifiesPersons = (trusted: readonly TrustedKey[] | undefined): boolean =>
  Boolean(trusted?.some((k) => k.role === 'person'));

/**
 * Why `writer` may not change what a nonconformity opened by hand is about (its grade, title, citations,
 * owner or due date), or undefined: it needs a reason; an action owner, present or past, may not (an auditee who downgrades
 * or rewords an auditor's finding, or hands it to someone else, is not independent of it), though they may make
 * it graver (`graver`); and where the configuration verifies persons, only a trusted person's signature says who.
 */
export function substanceChangeRefusal(
  nc: Nonconformity,
  writer: Independence,
  reason: string | undefined,
  personsVerified: boolean,
  graver = false,
): string | undefined {
  if (!reason)
    return `changes what ${nc.id} is about (its grade, title, citations, owner or due date) without a reason`;
  if (writer.status === 'owner' && !graver)
    return `is by ${writer.who}, an action owner of ${nc.id}: what a nonconformity is about is changed by the one who raised it or someone independent of its owners`;
  if (personsVerified && !writer.signed)
    return `changes what ${nc.id} is about unsigned, while the configuration verifies persons by their keys: sign it (--sign-with)`;
  return undefined;
}

/**
 * Who wrote an entry against the action owners: `person`, the trusted person's key that signed it, or else the
 * login as typed. A team owner is never matched (its members are GitHub's to say): it is listed instead.
 */
export function judgeIndependence(
  writer: { person?: TrustedKey; login: string },
  owners: readonly string[],
): Independence {
  const logins = writer.person ? keyLogins(writer.person) : [loginKey(writer.login)];
  const owner = owners.filter((o) => !isTeam(o)).find((o) => logins.includes(loginKey(o)));
  return {
    status: owner ? 'owner' : writer.person ? 'verified' : 'unverified',
    signed: Boolean(writer.person),
    who: writer.person?.name ?? writer.login,
    teams: owners.filter(isTeam),
  };
}

/** Who wrote `entry`, as a trusted person's signature proves or as typed, set against the action owners. */
export function independenceOf(
  entry: AuditEntry,
  owners: readonly string[],
  trusted: readonly TrustedKey[] | undefined,
): Independence {
  const check = trusted && entry.sig !== undefined ? signerOf(entry, trusted) : undefined;
  const person = check?.status === 'signed' && check.key.role === 'person' ? check.key : undefined;
  return judgeIndependence({ ...(person ? { person } : {}), login: entry.actor.login }, owners);
}

/** The review that counts: the latest since the nonconformity was (re)opened that counts at all. */
export function latestReview(nc: Nonconformity): Review | undefined {
  const since = nc.reopened?.seq ?? nc.opened.seq;
  return nc.reviews.filter((r) => r.seq > since && r.counts).at(-1);
}

/**
 * What a closure still lacks (10.2 c–e): a root cause, corrective actions done (one opened by hand needs one at
 * least; a finding's is corrected by the change that fixed it), an effectiveness review that found them
 * effective; and, for the one who closes, not to be a signed action owner nor, where the configuration verifies
 * persons, unsigned. Empty: it may close.
 */
export function closureGaps(nc: Nonconformity, closer?: Independence, personsVerified = false): string[] {
  if (isObservation(nc)) return [];
  const gaps: string[] = [];
  if (!nc.rootCause) gaps.push('no root cause recorded');
  if (!isAutomatic(nc) && !nc.actions.length) gaps.push('no corrective action recorded');
  const pending = nc.actions.filter((a) => !a.completed).length;
  if (pending) gaps.push(`${pending} corrective action${pending === 1 ? '' : 's'} not done`);
  const review = latestReview(nc);
  if (!review) gaps.push('no effectiveness review');
  else if (!review.effective)
    gaps.push(`the effectiveness review in entry ${review.seq} found the correction not effective`);
  else {
    const done = Math.max(0, ...nc.actions.map((a) => a.completed?.seq ?? 0));
    if (done > review.seq)
      gaps.push(`the effectiveness review in entry ${review.seq} came before a corrective action was done`);
  }
  if (closer?.status === 'owner' && closer.signed)
    gaps.push(`closed by its action owner ${closer.who}, who signed it: someone else must close it`);
  else if (closer && personsVerified && !closer.signed)
    gaps.push(
      'closed unsigned, while the configuration verifies persons by their keys: who closed it is not known',
    );
  return gaps;
}

/** Replays the log into the register. Entries must be in log order; `trusted` judges who signed what. */
export function nonconformityRegister(
  entries: Iterable<AuditEntry>,
  options: { trusted?: readonly TrustedKey[] } = {},
): Register {
  const fold = registerFold(options);
  for (const entry of entries) fold.add(entry);
  return fold.register();
}

/**
 * The register as a fold over the log, an entry at a time in log order: what a reader that streams the log
 * for more than the register (the auditor's report) feeds as it reads. It holds the nonconformities, never
 * the entries.
 */
export function registerFold(options: { trusted?: readonly TrustedKey[] } = {}): {
  add(entry: AuditEntry): void;
  register(): Register;
} {
  const byId = new Map<string, Nonconformity>();
  const problems: string[] = [];
  const personsVerified = verifiesPersons(options.trusted);
  /** A person's statement (a root cause, an action done) and whether a trusted key says who made it. */
  const stated = (entry: AuditEntry): LogMark =>
    personsVerified && !independenceOf(entry, [], options.trusted).signed
      ? { ...mark(entry), unsigned: true }
      : mark(entry);
  /** Open nonconformities of findings, by system: what the next evaluation of that system may correct. */
  const openOfSystem = new Map<string, Set<string>>();
  /** Findings' nonconformities whose owner somebody set by hand: the system's owner no longer follows. */
  const ownerByHand = new Set<string>();

  /** A corrected finding's nonconformity closes once nothing is missing; the entry that completes it closes it. */
  const closeIfReviewed = (nc: Nonconformity, entry: AuditEntry) => {
    if (!nc.corrected || nc.closed) return;
    const review = latestReview(nc);
    if (closureGaps(nc, undefined, personsVerified).length) return;
    causeAfterActions(nc, entry);
    nc.closed = {
      ...(entry.seq === nc.corrected.seq ? nc.corrected : mark(entry)),
      note: `${nc.corrected.note}; effective per the review in entry ${review!.seq}`,
      evidence: entry.evidence,
      independence: review!.independence,
    };
    openOfSystem.get(nc.system!)?.delete(nc.id);
  };

  const setOwner = (nc: Nonconformity, owner: string) => {
    if (nc.owner && loginKey(nc.owner) !== loginKey(owner) && !nc.formerOwners.includes(nc.owner))
      nc.formerOwners.push(nc.owner);
    nc.owner = owner;
  };

  /** 10.2 b before c: a cause found only after every action was done means the actions did not start from it. */
  const causeAfterActions = (nc: Nonconformity, entry: AuditEntry) => {
    const done = nc.actions.map((a) => a.completed?.seq ?? 0);
    if (nc.rootCauseAt && done.length && Math.max(...done) < nc.rootCauseAt.seq)
      problems.push(
        `entry ${entry.seq} closes ${nc.id}, whose root cause (entry ${nc.rootCauseAt.seq}) was recorded after its corrective actions were done (last in entry ${Math.max(...done)}): they were not planned from the cause`,
      );
  };

  const link = (a: Nonconformity, b: Nonconformity) => {
    if (!a.links.includes(b.id)) a.links.push(b.id);
    if (!b.links.includes(a.id)) b.links.push(a.id);
  };

  const add = (entry: AuditEntry): void => {
    const details = entry.details ?? {};
    const system = entry.subject?.system;
    if (entry.type === 'evaluated') {
      // An evaluation names the commit it judged; one with none (not of a git work tree) proves nothing.
      if (!system || !entry.subject.commit || fromPullRequest(entry) || !Array.isArray(details.open)) return;
      const status = String(details.status);
      const owner = text(details.owner);
      const open = details.open.map(openFinding).filter((f) => f !== undefined);
      if (open.length !== details.open.length)
        problems.push(
          `entry ${entry.seq} lists findings that are not "KEY SEVERITY RULE": those were skipped`,
        );
      // Still found, at any grade: a major finding turned into an observation has not been fixed.
      const found = new Set(open.map((f) => `NC-${f.key.slice(0, 12)}`));
      if (IN_OPERATION.has(status))
        for (const finding of open) {
          if (finding.severity === 'observation') continue;
          const id = `NC-${finding.key.slice(0, 12)}`;
          const known = byId.get(id);
          if (known && !known.closed && !known.corrected) {
            if (owner && !ownerByHand.has(id)) setOwner(known, owner);
            continue;
          }
          if (known) {
            if (known.closed) known.earlierClosures.push(known.closed);
            known.closed = undefined;
            known.corrected = undefined;
            known.reopened = mark(entry);
            if (owner && !ownerByHand.has(id)) setOwner(known, owner);
            known.history.push(entry.seq);
          } else {
            const nc: Nonconformity = {
              id,
              grade: finding.severity,
              source: 'check',
              title: `${finding.rule} on ${system}`,
              system,
              controls: [],
              clauses: [],
              rule: finding.rule,
              key: finding.key,
              opened: mark(entry),
              ...(owner ? { owner } : {}),
              formerOwners: [],
              dueByDefault: false,
              actions: [],
              reviews: [],
              regrades: [],
              refusedClosures: [],
              links: [],
              earlierClosures: [],
              history: [entry.seq],
            };
            defaultDue(nc);
            byId.set(id, nc);
          }
          openOfSystem.set(system, (openOfSystem.get(system) ?? new Set()).add(id));
        }
      // Only an evaluation of a system in operation that ran and did not find it corrects a finding's
      // nonconformity (one of a system put back into development proves nothing fixed), or one whose documents
      // say the system is retired.
      if (!IN_OPERATION.has(status) && status !== 'retired') return;
      const waived = new Set(strings(details.waived));
      const disabled = new Set(strings(details.disabled));
      for (const id of [...(openOfSystem.get(system) ?? [])]) {
        const nc = byId.get(id)!;
        if (nc.corrected) continue;
        const note =
          status === 'retired'
            ? `the system's documents say it is retired (evaluation in entry ${entry.seq})`
            : found.has(id)
              ? undefined
              : waived.has(nc.key!)
                ? `waived: the evaluation in entry ${entry.seq} finds it under a waiver`
                : disabled.has(nc.rule!)
                  ? `no longer checked: the configuration evaluated in entry ${entry.seq} disables ${nc.rule}`
                  : `no longer found by the evaluation in entry ${entry.seq}`;
        if (!note) continue;
        nc.corrected = { ...mark(entry), note };
        nc.history.push(entry.seq);
        closeIfReviewed(nc, entry);
      }
      return;
    }
    if (entry.type === 'nonconformity.opened') {
      const nc: Nonconformity = {
        id: `NC-${entry.seq}`,
        grade: grade(details.grade) ?? 'major',
        source: text(details.source) ?? 'internal-audit',
        title: text(details.title) ?? '(no title)',
        ...(system ? { system } : {}),
        controls: list(details.controls),
        clauses: list(details.clauses),
        opened: mark(entry),
        ...(text(details.owner) ? { owner: text(details.owner) } : {}),
        formerOwners: [],
        ...(day(details.due) ? { due: day(details.due) } : {}),
        dueByDefault: false,
        actions: [],
        reviews: [],
        regrades: [],
        refusedClosures: [],
        links: [],
        earlierClosures: [],
        history: [entry.seq],
      };
      if (isObservation(nc) && nc.due)
        problems.push(`entry ${entry.seq} gives observation ${nc.id} a due date: an observation has none`);
      defaultDue(nc);
      nc.original = substanceOf(nc);
      byId.set(nc.id, nc);
      for (const other of list(details.links)) {
        const known = byId.get(other);
        if (known && known !== nc) link(nc, known);
        else problems.push(`entry ${entry.seq} links ${nc.id} with ${other}, which the log does not know`);
      }
      return;
    }
    if (!entry.type.startsWith('nonconformity.') && !entry.type.startsWith('corrective-action.')) return;
    const id = text(details.nc);
    const nc = id ? byId.get(id) : undefined;
    if (!nc) {
      problems.push(
        `entry ${entry.seq} (${entry.type}) names ${id ?? 'no nonconformity'}, which the log does not know`,
      );
      return;
    }
    nc.history.push(entry.seq);
    /** Whether this entry may change what a nonconformity opened by hand is about; why not goes to the problems. */
    const mayChangeSubstance = (reason: string | undefined, graver = false): boolean => {
      const refusal = substanceChangeRefusal(
        nc,
        independenceOf(entry, actionOwners(nc), options.trusted),
        reason,
        personsVerified,
        graver,
      );
      if (refusal) problems.push(`entry ${entry.seq} ${refusal}: not applied`);
      return !refusal;
    };
    const regrade = (to: Severity | undefined, reason: string | undefined) => {
      if (!to || to === nc.grade) return;
      if (isAutomatic(nc))
        problems.push(`entry ${entry.seq} regrades ${nc.id}; a finding's nonconformity has its rule's grade`);
      else if (!reason)
        problems.push(
          `entry ${entry.seq} regrades ${nc.id} from ${nc.grade} to ${to} without a reason: not applied`,
        );
      else if (mayChangeSubstance(reason, isGraver(to, nc.grade))) {
        nc.regrades.push({ ...mark(entry), from: nc.grade, to, reason });
        nc.grade = to;
      }
    };
    switch (entry.type) {
      case 'nonconformity.updated': {
        // A regrade here (before `nonconformity.regraded` existed) counts only with its reason.
        regrade(grade(details.grade), text(details.gradeReason) ?? text(details.reason));
        const changesSubstance =
          text(details.owner) !== undefined ||
          text(details.title) !== undefined ||
          details.controls !== undefined ||
          details.clauses !== undefined;
        // A finding's nonconformity is about its rule on its system: only its owner can be set by hand.
        if (changesSubstance && (isAutomatic(nc) || mayChangeSubstance(text(details.reason)))) {
          if (text(details.owner)) {
            setOwner(nc, text(details.owner)!);
            ownerByHand.add(nc.id);
          }
          if (text(details.title)) nc.title = text(details.title)!;
          if (details.controls !== undefined) nc.controls = list(details.controls);
          if (details.clauses !== undefined) nc.clauses = list(details.clauses);
        }
        const due = day(details.due);
        // A later due date decides when it counts as overdue: the raiser's call, or an independent person's; an
        // owner may only bring it forward.
        if (due && mayChangeSubstance(text(details.reason), isSooner(due, nc))) {
          nc.due = due;
          nc.dueByDefault = false;
          if (text(details.reason)) nc.dueReason = text(details.reason);
        } else if (!due && details.due !== undefined)
          problems.push(`entry ${entry.seq} gives ${nc.id} a due date that is no date (YYYY-MM-DD)`);
        if (text(details.rootCause)) {
          nc.rootCause = text(details.rootCause);
          nc.rootCauseAt = stated(entry);
        }
        defaultDue(nc);
        closeIfReviewed(nc, entry);
        break;
      }
      case 'nonconformity.regraded':
        if (!grade(details.grade))
          problems.push(`entry ${entry.seq} regrades ${nc.id} to no grade (${NC_GRADES.join(', ')})`);
        regrade(grade(details.grade), text(details.reason));
        defaultDue(nc);
        break;
      case 'nonconformity.reviewed': {
        const independence = independenceOf(entry, actionOwners(nc), options.trusted);
        const byOwner = independence.status === 'owner' && independence.signed;
        const unsigned = personsVerified && !independence.signed;
        nc.reviews.push({
          ...mark(entry),
          effective: details.effective === true,
          note: text(details.note) ?? '',
          evidence: entry.evidence,
          independence,
          counts: !byOwner && !unsigned,
        });
        if (byOwner)
          problems.push(
            `entry ${entry.seq} reviews ${nc.id} by its action owner ${independence.who}, who signed it: the review does not count`,
          );
        else if (unsigned)
          problems.push(
            `entry ${entry.seq} reviews ${nc.id} unsigned, while the configuration verifies persons by their keys: the review does not count`,
          );
        closeIfReviewed(nc, entry);
        break;
      }
      case 'nonconformity.linked': {
        const other = byId.get(text(details.with) ?? '');
        if (other && other !== nc) link(nc, other);
        else
          problems.push(
            `entry ${entry.seq} links ${nc.id} with ${text(details.with) ?? 'nothing'}, which the log does not know`,
          );
        break;
      }
      case 'corrective-action.planned':
        nc.actions.push({
          action: text(details.action) ?? '(no action named)',
          ...(text(details.owner) ? { owner: text(details.owner) } : {}),
          ...(day(details.due) ? { due: day(details.due) } : {}),
          planned: mark(entry),
        });
        break;
      case 'corrective-action.completed': {
        const action = nc.actions.find(
          (a) => !a.completed && (!text(details.action) || a.action === text(details.action)),
        );
        if (action) action.completed = stated(entry);
        else
          problems.push(`entry ${entry.seq} completes a corrective action of ${nc.id} that was not planned`);
        closeIfReviewed(nc, entry);
        break;
      }
      case 'nonconformity.closed': {
        if (isAutomatic(nc)) {
          problems.push(
            `entry ${entry.seq} closes ${nc.id} by hand; a finding's nonconformity closes when an evaluation no longer finds it and its correction was reviewed`,
          );
          break;
        }
        if (nc.closed) {
          problems.push(`entry ${entry.seq} closes ${nc.id}, closed already in entry ${nc.closed.seq}`);
          break;
        }
        const independence = independenceOf(entry, actionOwners(nc), options.trusted);
        const gaps = closureGaps(nc, independence, personsVerified);
        if (gaps.length) {
          nc.refusedClosures.push({ ...mark(entry), reasons: gaps });
          problems.push(
            `entry ${entry.seq} closes ${nc.id} without what a closure needs (${gaps.join('; ')}): that closure does not count`,
          );
          break;
        }
        causeAfterActions(nc, entry);
        nc.closed = {
          ...mark(entry),
          note: text(details.note) ?? '',
          evidence: entry.evidence,
          independence,
        };
        break;
      }
      default:
        problems.push(`entry ${entry.seq} has type ${entry.type}, which the register does not know`);
    }
  };
  return { add, register: () => ({ nonconformities: [...byId.values()], problems }) };
}

const GRAVITY: Record<Severity, number> = { major: 3, minor: 2, observation: 1 };
/** Whether `due` brings a nonconformity's due date forward: an owner may, as they may make it graver. */
export const isSooner = (due: string, nc: Pick<Nonconformity, 'due'>): boolean =>
  nc.due !== undefined && due < nc.due;

/** Whether grade `to` is graver than `from`: raising a finding needs no independence, lowering it does. */
export const isGraver = (to: Severity, from: Severity): boolean => (GRAVITY[to] ?? 0) > (GRAVITY[from] ?? 0);

const substanceOf = (nc: Nonconformity): Substance => ({
  grade: nc.grade,
  title: nc.title,
  controls: [...nc.controls],
  clauses: [...nc.clauses],
  ...(nc.owner ? { owner: nc.owner } : {}),
  ...(nc.due ? { due: nc.due } : {}),
});

/** What a nonconformity opened by hand first said, where it differs from what it says now: "grade major, title …". */
export function changedSubstance(nc: Nonconformity): string[] {
  if (!nc.original) return [];
  const now = substanceOf(nc);
  const was = nc.original;
  const out: string[] = [];
  if (was.grade !== now.grade) out.push(`grade ${was.grade}`);
  if (was.title !== now.title) out.push(`title "${was.title}"`);
  if (was.controls.join() !== now.controls.join()) out.push(`controls ${was.controls.join(', ') || 'none'}`);
  if (was.clauses.join() !== now.clauses.join()) out.push(`clauses ${was.clauses.join(', ') || 'none'}`);
  if (was.owner !== now.owner) out.push(`owner ${was.owner ?? 'none'}`);
  if (was.due !== now.due) out.push(`due ${was.due ?? 'none'}`);
  return out;
}

export function isOverdue(nc: Nonconformity, today: string): boolean {
  return !nc.closed && nc.due !== undefined && nc.due < today;
}

/** Whole days from opening to closing (or to `today` while open). */
export function daysOpen(nc: Nonconformity, today: string): number {
  const end = nc.closed ? Date.parse(nc.closed.time) : Date.parse(`${today}T00:00:00Z`);
  return Math.max(0, Math.floor((end - Date.parse(nc.opened.time)) / 86_400_000));
}
