import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import {
  type AuditEntry,
  type Details,
  draftProblem,
  EVENT_TYPES,
  type EventDraft,
  type Evidence,
  formatCheckpoint,
  parseDetails,
  sha256,
} from '../audit/entry.js';
import {
  type CheckedFile,
  checkEvidence,
  EvidenceIndex,
  evidenceProblems,
  evidenceProblemWords,
  supersededWords,
} from '../audit/evidence.js';
import type { FileStore } from '../audit/file-store.js';
import { actionOwners, type Nonconformity, nonconformityRegister } from '../audit/nonconformities.js';
import {
  isOrganisationEvent,
  ORGANISATION_EVENTS,
  type OrganisationEvent,
  type Owned,
  organisationDetails,
} from '../audit/organisation.js';
import { readEntries, readEntriesSync } from '../audit/read.js';
import {
  ed25519Signer,
  parseAllowedSigners,
  type Signer,
  signerOf,
  signerWords,
  sshKeygenSigner,
  type TrustedKey,
} from '../audit/signature.js';
import { record as recordEvent } from '../audit/store.js';
import { type SignatureReport, verifyLog } from '../audit/verify.js';
import { evidencesClause } from '../controls.js';
import { UsageError } from '../errors.js';
import { evaluate } from '../evaluate.js';
import { takeInventory } from '../inventory.js';
import { loadPolicy } from '../policy/load.js';
import { actorWords } from '../report/auditor-words.js';
import { printable } from '../report/printable.js';
import { plural } from '../report/words.js';
import { GitSource } from '../sources/git.js';
import { LocalSource } from '../sources/local.js';
import { datedBeforeAnchorLines, tsaCertificates, verifyAnchored } from './anchor.js';
import { existingLog, locate, logFor, shown, whoAndWhere } from './context.js';
import type { Output } from './main.js';
import { checkpointOption, choice, dateOption, parseCommand } from './options.js';

/** Event types only aims-gate writes, each with who writes it: `record` refuses them. */
const WRITTEN_BY: Record<string, string> = {
  'deployment.approved': 'the deployment gate (the Action in deploy-gate mode, or the App)',
  'deployment.rejected': 'the deployment gate (the Action in deploy-gate mode, or the App)',
  'approval.given':
    'the deployment gate, which keeps the approvals it counted in its decision (details.roles)',
  'approval.withdrawn':
    'the deployment gate, which keeps the approvals it counted in its decision (details.roles)',
  evaluated: 'aims-gate check --record and the gate',
  'nonconformity.opened': 'aims-gate nonconformity open, which checks what it records',
  'nonconformity.updated': 'aims-gate nonconformity update',
  'nonconformity.regraded': 'aims-gate nonconformity regrade',
  'nonconformity.reviewed': 'aims-gate nonconformity review',
  'nonconformity.linked': 'aims-gate nonconformity link',
  'nonconformity.closed': 'aims-gate nonconformity close',
  'corrective-action.planned': 'aims-gate nonconformity action',
  'corrective-action.completed': 'aims-gate nonconformity done',
};

/**
 * `--system` must name an AI system: one in the repository (by id or folder) or one the log already knows (a
 * system retired and removed is still in its log). Anything else is a typo that would start a phantom system.
 */
export async function knownSystem(root: string, store: FileStore, system: string): Promise<void> {
  const source = new LocalSource(root);
  const evaluated = (scope?: string) =>
    evaluate({ source, today: new Date().toISOString().slice(0, 10), ...(scope ? { scope } : {}) });
  const names = (e: Awaited<ReturnType<typeof evaluated>>) => e.systems.flatMap((s) => [s.id, s.path]);
  // A system's id is most often its folder's name: that folder alone is read first, not the whole repository.
  const { systems } = takeInventory(await source.list(), (await loadPolicy(source)).systems);
  for (const folder of systems.filter((s) => s.path === system || s.path.split('/').pop() === system))
    if (names(await evaluated(folder.path)).includes(system)) return;
  if (await store.exists())
    for await (const entry of readEntries(store, { system })) if (entry.subject?.system === system) return;
  const evaluation = await evaluated();
  if (names(evaluation).includes(system)) return;
  const ids = evaluation.systems.map((s) => s.id);
  throw new UsageError(
    `--system ${system} is no AI system of this repository${ids.length ? ` (${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''})` : ''} nor of its audit log`,
  );
}

/** Files given as evidence, as typed from where the user is: each recorded relative to the root, with its SHA-256. */
export function evidenceOf(root: string, files: string[]): Promise<Evidence[]> {
  return Promise.all(
    files.map(async (given) => {
      const full = resolve(given);
      const bytes = await readFile(full).catch(() => {
        throw new UsageError(`--evidence ${given}: no such file`);
      });
      const path = relative(root, full).split(sep).join('/');
      // verify --evidence reads a cited file only inside the repository: one outside could not be checked.
      if (path.startsWith('../') || path === '..' || isAbsolute(path))
        throw new UsageError(
          `--evidence ${given} is outside the repository (${root}): keep evidence in it, so that verify --evidence can check it`,
        );
      return { path, sha256: sha256(bytes) };
    }),
  );
}

/** aims-gate record: appends one lifecycle event, for pipelines (retraining, monitoring alerts, retirement). */
export async function record(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    type: { type: 'string' },
    system: { type: 'string' },
    detail: { type: 'string', multiple: true, default: [] },
    evidence: { type: 'string', multiple: true, default: [] },
    environment: { type: 'string' },
    actor: { type: 'string' },
    log: { type: 'string' },
    'sign-with': { type: 'string' },
  });
  if (!values.type)
    throw new UsageError(
      `record needs --type: one of ${Object.keys(EVENT_TYPES).join(', ')}, or custom.<name>`,
    );
  const organisational = isOrganisationEvent(values.type);
  if (organisational && values.system)
    throw new UsageError(
      `${values.type} is an event of the organisation's management system, not of one AI system: record it without --system${values.type.startsWith('audit.') ? " (the audit's scope, in the programme, names the systems it covers)" : ''}`,
    );
  if (!organisational && !values.system)
    throw new UsageError(
      `record needs --system: the id of the AI system the event is about (only ${Object.keys(ORGANISATION_EVENTS).join(', ')} are the organisation's, with no system)`,
    );
  const writer = WRITTEN_BY[values.type];
  if (writer)
    throw new UsageError(
      `${values.type} is written only by ${writer}, so that the log's decisions cannot be typed in; record what happened as another type (e.g. custom.<name>)`,
    );
  const root = locate(positionals[0]).root;
  const parsed = parseDetails(values.detail);
  if ('bad' in parsed) throw new UsageError(`--detail takes key=value, not "${parsed.bad}"`);
  const evidence = await evidenceOf(root, values.evidence);
  const { actor, subject } = await whoAndWhere(root, values.actor);
  const store = await logFor(root, values.log);
  const details = organisational
    ? await organisationEvent(root, store, values.type as OrganisationEvent, parsed.details, io)
    : parsed.details;
  const draft: EventDraft = {
    type: values.type as EventDraft['type'],
    time: new Date().toISOString(),
    actor,
    subject: {
      ...subject,
      ...(values.system ? { system: values.system } : {}),
      ...(values.environment ? { environment: values.environment } : {}),
    },
    details,
    evidence,
  };
  // Checked before anything is written (record checks again): an invalid event leaves the log as it was.
  const problem = draftProblem(draft);
  if (problem) throw new UsageError(problem);
  if (values.system) await knownSystem(root, store, values.system);
  const signer = values['sign-with'] ? personSigner(values['sign-with']) : undefined;
  const { entry, checkpoint } = await recordEvent(store, draft, signer ? { signer } : {});
  io.out(
    `recorded entry ${entry.seq} (${entry.type}, ${values.system ?? 'the organisation'}) in ${shown(store.path)}\ncheckpoint ${formatCheckpoint(checkpoint)}\n`,
  );
  if (entry.type === 'audit.performed' && !signer)
    io.err(
      `aims-gate: the auditor (${details.auditor}) and who recorded this (${actor.login}) are as typed, which nobody vouched for: an auditor who signs the entry (--sign-with their SSH key, listed under signers with role person) is shown as its author\n`,
    );
  if (signer) {
    const check = signerOf(entry, (await loadPolicy(new LocalSource(root))).signers);
    io.err(
      check.status === 'signed'
        ? `aims-gate: ${signerWords(check)}\n`
        : `aims-gate: signed with ${'fingerprint' in check ? check.fingerprint : 'the key'}, which .github/aims-gate.yml does not list under signers: until it does (role: person), verify shows the entry as signed by an untrusted key\n`,
    );
  }
  return 0;
}

/**
 * An organisation event's details, checked: for an audit, against the programme and the owners of the systems
 * it covers (their governance facts' owner). Refused before anything is written.
 */
async function organisationEvent(
  root: string,
  store: FileStore,
  type: OrganisationEvent,
  given: Details,
  io: Output,
): Promise<Details> {
  const needsOwners = type === 'audit.planned' || type === 'audit.performed';
  // Only an audit is checked against owners: a system's (its governance facts), a control's (the organisation's
  // SoA, as the evaluation read it), a nonconformity's (the register).
  const evaluation = needsOwners
    ? await evaluate({ source: new LocalSource(root), today: new Date().toISOString().slice(0, 10) })
    : undefined;
  const { audits = [], objectives = [] } = evaluation?.policy ?? {};
  const systems = evaluation?.systems ?? [];
  const statement = evaluation?.statement;
  // The log is read once: for the register, and for an earlier performance of the same audit.
  let performedIn: number | undefined;
  const entries = function* (all: Iterable<AuditEntry>) {
    for (const entry of all) {
      if (entry.type === 'audit.performed' && entry.details.audit === given.audit) performedIn ??= entry.seq;
      yield entry;
    }
  };
  const register =
    needsOwners && (await store.exists())
      ? nonconformityRegister(entries(readEntriesSync(store)), {
          trusted: await trustedSigners(root, undefined, undefined),
        })
      : undefined;
  /** Who owns what an audit of a clause or control covers: nonconformities citing it, and for 6.2 the objectives. */
  const ownersOfCited = (covers: (nc: Nonconformity) => boolean, what: string): Owned[] =>
    (register?.nonconformities ?? [])
      .filter(covers)
      .flatMap((nc) => actionOwners(nc).map((owner) => ({ what: `${nc.id} (${what})`, owner })));
  const unowned: string[] = [];
  const result = organisationDetails(type, given, audits, (audit) => {
    const owned: Owned[] = [];
    for (const id of audit.scope.systems ?? []) {
      const system = systems.find((s) => s.id === id || s.path === id);
      if (!system)
        throw new UsageError(
          `audit ${audit.id} covers system ${id}, which is no AI system of this repository: its owner cannot be checked against the auditor; correct the programme's scope`,
        );
      if (system.owner) owned.push({ what: `system ${system.id}`, owner: system.owner });
      else unowned.push(`system ${system.id}`);
    }
    for (const id of audit.scope.controls ?? []) {
      const owner = statement?.controls[id]?.owner;
      if (owner) owned.push({ what: `control ${id} (${statement.path})`, owner });
      else unowned.push(`control ${id}`);
      owned.push(...ownersOfCited((nc) => nc.controls.includes(id), `control ${id}`));
    }
    for (const clause of audit.scope.clauses ?? []) {
      const covered = (cited: string) => evidencesClause(cited, clause) || evidencesClause(clause, cited);
      owned.push(...ownersOfCited((nc) => nc.clauses.some(covered), `clause ${clause}`));
      if (covered('6.2'))
        for (const objective of objectives)
          if (objective.owner)
            owned.push({ what: `objective ${objective.id} (clause 6.2)`, owner: objective.owner });
    }
    return owned;
  });
  if ('problem' in result) throw new UsageError(result.problem);
  // An audit is performed once: its results stand as recorded, and a re-audit is a new audit of the programme.
  if (type === 'audit.performed' && performedIn !== undefined)
    throw new UsageError(
      `audit ${result.details.audit} was performed in entry ${performedIn}: its results stand as recorded; plan a follow-up audit under a new id in the programme (audits in .github/aims-gate.yml) to audit again`,
    );
  if (unowned.length)
    io.err(
      `aims-gate: no owner is declared for ${unowned.join(', ')}: the auditor's independence of ${unowned.length === 1 ? 'it' : 'them'} was not checked\n`,
    );
  return result.details;
}

/** A person's key for --sign-with: an SSH key ssh-keygen signs with; every failure a usage error before anything is written. */
export function personSigner(keyFile: string): Signer {
  try {
    return sshKeygenSigner(keyFile);
  } catch (error) {
    throw new UsageError(`--sign-with ${(error as Error).message}`);
  }
}

/**
 * The keys verify and the report trust: the config's `signers` (the folder's, or --config), and the people
 * of a git allowed_signers file (--allowed-signers), who are people whatever the file says of them.
 */
export async function trustedSigners(
  root: string,
  config: string | undefined,
  allowedSignersFile: string | undefined,
  revision?: string,
): Promise<TrustedKey[]> {
  // At a revision: the configuration as committed there (a protected branch), not as the checkout has it.
  const source = revision === undefined ? new LocalSource(root) : await GitSource.branch(root, revision);
  const { signers } = await loadPolicy(source, config);
  if (allowedSignersFile === undefined) return signers;
  const text = await readFile(allowedSignersFile, 'utf8').catch(() => {
    throw new UsageError(`--allowed-signers ${allowedSignersFile}: no such file`);
  });
  try {
    return [...signers, ...parseAllowedSigners(text, allowedSignersFile)];
  } catch (error) {
    throw new UsageError(`--allowed-signers: ${(error as Error).message}`);
  }
}

/** What verify says of the signers: entries per signer, then each failure (the first 100). */
export function signatureLines(signatures: SignatureReport, trusted: readonly TrustedKey[]): string[] {
  // A log nobody signs, under a config that names no key, reads as it always did.
  if (!trusted.length && signatures.ok && signatures.signers.every((s) => s.status === 'unsigned')) return [];
  const order = ['signed', 'untrusted', 'invalid', 'unsigned'];
  const lines = [...signatures.signers]
    .sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status))
    .map((s) => {
      const n = s.entries.toLocaleString('en');
      if (s.status === 'signed') return `  ${n} signed by the ${printable(s.signer)}`;
      if (s.status === 'untrusted')
        return `  ${n} signed by an ${s.signer}, which the configuration does not list`;
      if (s.status === 'invalid') return `  ${n} with a signature that does not hold`;
      return `  ${n} unsigned: unverified, anyone who can write the log could have written them`;
    });
  if (!signatures.ok && !trusted.some((k) => k.role === 'gate' || k.role === 'app'))
    lines.push(
      "  ! the configuration lists no gate or app key under signers: no entry can be shown to be the gate's (aims-gate keygen makes one)",
    );
  lines.push(...signatures.failures.map((f) => `✖ ${printable(f.reason)}`));
  if (signatures.failed > signatures.failures.length)
    lines.push(`✖ … and ${(signatures.failed - signatures.failures.length).toLocaleString('en')} more`);
  return lines;
}

/** What a matched checkpoint is worth: the entry it names, signed by the gate or not. */
function checkpointWords(signatures: SignatureReport | undefined): string {
  const at = signatures?.checkpoint;
  if (!at) return '; checkpoint matched';
  if (at.status === 'signed' && (at.role === 'gate' || at.role === 'app'))
    return `; checkpoint matched, at an entry signed by the ${at.role} key${at.name ? ` ${at.name}` : ''}`;
  return `; checkpoint matched, at entry ${at.seq}, which no gate key signed: it proves something only if it was kept where the log's writers cannot reach (a commit status the App created, an anchor, a ticket)`;
}

/**
 * aims-gate verify: exit 0 only for an intact chain that reaches --checkpoint when one is given, holds the
 * checkpoints its anchors timestamped (with --tsa-cert, signed by that TSA: at least one must be), and
 * whose entries that claim to be the gate's are signed by a gate key the configuration lists.
 */
export async function verify(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    log: { type: 'string' },
    checkpoint: { type: 'string' },
    'tsa-cert': { type: 'string' },
    config: { type: 'string', short: 'c' },
    'allowed-signers': { type: 'string' },
    format: { type: 'string', short: 'f', default: 'text' },
    evidence: { type: 'boolean', default: false },
  });
  const checkpoint = checkpointOption(values.checkpoint);
  const format = choice('format', values.format, ['text', 'json']);
  const trusted = await tsaCertificates(values['tsa-cert']);
  const root = locate(positionals[0]).root;
  const keys = await trustedSigners(root, values.config, values['allowed-signers']);
  const store = await existingLog(root, values.log);
  const {
    result,
    anchors: reports,
    held: anchorsHeld,
  } = await verifyAnchored(store, checkpoint, trusted, { trusted: keys, perEntry: format === 'json' });
  const signatures = result.signatures!;
  const cited = values.evidence ? await citedEvidence(root, store) : undefined;
  const evidence = cited?.files;
  const problems = evidence ? evidenceProblems(evidence) : [];
  const ok = result.ok && anchorsHeld.ok && signatures.ok && !problems.length;
  if (format === 'json') {
    io.out(
      `${JSON.stringify(
        {
          log: store.path,
          ...result,
          ok,
          chain: result.ok,
          anchors: reports,
          ...(trusted && reports.length ? { tsaRevocation: 'not checked' } : {}),
          ...(cited
            ? { evidence: { ok: !problems.length, files: cited.files, supersededNotListed: cited.omitted } }
            : {}),
        },
        null,
        2,
      )}\n`,
    );
  } else if (result.ok) {
    const head = result.head ? `, head ${formatCheckpoint(result.head)}` : '';
    const proven =
      result.checkpoint === 'matched'
        ? checkpointWords(signatures)
        : anchorsHeld.proven
          ? ''
          : ' (a chain its writer could have re-hashed whole: pass --checkpoint, or --tsa-cert for its anchors, to prove it was not)';
    io.out(
      `${signatures.ok ? '✔' : '✖'} ${shown(store.path)}: intact, ${plural(result.entries, 'entry')}${head}${proven}${signatures.ok ? '' : `; ${plural(signatures.failed, 'entry')} not written by whom ${signatures.failed === 1 ? 'it claims' : 'they claim'}`}\n`,
    );
  } else {
    const { seq, line, reason } = result.problem!;
    io.out(
      `✖ ${shown(store.path)}: verification failed at entry ${seq} (line ${line}): ${reason}\n  The ${plural(Math.max(0, seq - 1), 'entry')} before it chain to each other; only a checkpoint kept outside the log, or an anchor, proves they were not rewritten.\n`,
    );
  }
  for (const text of format === 'json'
    ? []
    : [
        ...(result.ok ? signatureLines(signatures, keys) : []),
        ...anchorsHeld.lines,
        ...datedBeforeAnchorLines(result),
        ...result.warnings.map((w) => `  ! ${w}`),
        ...(cited ? evidenceLines(cited, problems) : []),
      ])
    io.out(`${text}\n`);
  return ok ? 0 : 1;
}

/**
 * Every file the log cites as evidence, each version kept against the working tree, and how many earlier
 * versions were not kept (EvidenceIndex: superseded, each).
 */
async function citedEvidence(
  root: string,
  store: FileStore,
): Promise<{ files: CheckedFile[]; omitted: number }> {
  const index = new EvidenceIndex();
  for await (const entry of readEntries(store)) index.add(entry);
  return { files: await checkEvidence(root, index.files()), omitted: index.omitted };
}

/** Superseded versions verify --evidence names: the latest; the report lists the rest. */
const SUPERSEDED_LISTED = 20;

/** verify --evidence: one line of totals, then each file that is not what the log last recorded, by name. */
function evidenceLines(
  { files, omitted }: { files: readonly CheckedFile[]; omitted: number },
  problems: readonly CheckedFile[],
): string[] {
  const superseded = files.filter((f) => f.state === 'superseded');
  const held = files.length - superseded.length;
  const count = superseded.length + omitted;
  const earlier = count
    ? ` (${plural(count, 'earlier version')} of documents superseded by later evaluations)`
    : '';
  // Superseded versions by name, the latest first: who revised a document is part of the evidence.
  const revised = superseded
    .toSorted((a, b) => b.last - a.last)
    .slice(0, SUPERSEDED_LISTED)
    .map((f) => `  ${printable(`${f.path} ${f.sha256.slice(0, 12)}…: ${supersededWords(f)}`)}`);
  if (count > revised.length)
    revised.push(`  and ${plural(count - revised.length, 'earlier version')} more (the report lists them)`);
  if (!problems.length)
    return [
      `✔ evidence: ${held ? `${plural(held, 'file')} as the log recorded them${earlier}` : 'no entry cites a file'}`,
      ...revised,
    ];
  return [
    `✖ evidence: ${plural(problems.length, 'file')} of ${held} not as the log recorded ${problems.length === 1 ? 'it' : 'them'}${earlier}`,
    ...problems.map((f) => `✖ ${printable(evidenceProblemWords(f))}`),
    ...revised,
  ];
}

/**
 * aims-gate keygen: a new Ed25519 key for the gate or the App, in PKCS#8 PEM, and the public line to list
 * under `signers`. The private key goes to --output (created with mode 0600, never over an existing file) or
 * to standard output, for a secret store; the public line and where it goes to the other stream.
 */
export async function keygen(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    output: { type: 'string', short: 'o' },
    role: { type: 'string', default: 'gate' },
    name: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`keygen takes no arguments, not "${positionals[0]}"`);
  const role = choice('role', values.role, ['gate', 'app']);
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const { publicKey } = ed25519Signer(pem);
  const listing = `signers:\n  - key: ${publicKey}\n    role: ${role}\n${values.name ? `    name: ${JSON.stringify(values.name)}\n` : ''}`;
  const where =
    role === 'gate'
      ? "an environment secret of the deployment environment, passed to the Action's signing-key input"
      : "the App's AIMS_GATE_SIGNING_KEY (or a file named by AIMS_GATE_SIGNING_KEY_FILE)";
  if (!values.output) {
    io.out(pem);
    io.err(
      `aims-gate: keep the private key above secret, in ${where}; list its public key in .github/aims-gate.yml:\n${listing}`,
    );
    return 0;
  }
  try {
    await writeFile(values.output, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'EEXIST'
        ? `--output ${values.output} exists: keygen never overwrites a key; choose another file`
        : `cannot write ${values.output} (${code}): choose another --output`,
    );
  }
  io.out(
    `wrote the private key to ${values.output} (mode 0600): keep it secret, in ${where}, then delete the file\nlist its public key in .github/aims-gate.yml:\n${listing}`,
  );
  return 0;
}

/** aims-gate log: lists events, newest last, filtered by system, type and date. */
export async function log(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    log: { type: 'string' },
    system: { type: 'string' },
    type: { type: 'string' },
    since: { type: 'string' },
    format: { type: 'string', short: 'f', default: 'text' },
  });
  dateOption('since', values.since);
  const format = choice('format', values.format, ['text', 'json']);
  const store = await existingLog(locate(positionals[0]).root, values.log);
  // Listed with what the chain says of them: from a break on, entries are marked, never shown as proven.
  const verification = await verifyLog(store.blocks());
  const unproven = verification.ok ? Number.POSITIVE_INFINITY : (verification.problem?.seq ?? 1);
  const bad: number[] = [];
  let listed = 0;
  for await (const entry of readEntries(store, values, (line) => bad.push(line))) {
    listed++;
    if (format === 'json') {
      io.out(`${JSON.stringify(entry)}\n`);
      continue;
    }
    // Anyone who can run `record` wrote these strings: shown escaped, a line of the log is one line here.
    const shown = printable(entry);
    const details = Object.entries(shown.details ?? {})
      .filter(([, v]) => typeof v !== 'object' || v === null)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    io.out(
      `#${shown.seq}  ${shown.time}  ${shown.type}  ${shown.subject?.system ?? '-'}  by ${actorWords(shown.actor)}${details ? `  ${details}` : ''}${entry.seq >= unproven ? '  ⚠ after the break' : ''}\n`,
    );
  }
  const filters = (['system', 'type', 'since'] as const).filter((f) => values[f] !== undefined);
  // Nothing listed for a filter is most often a typo in it: said, not left as an empty screen.
  if (!listed && filters.length)
    io.err(
      `aims-gate: no entry of ${shown(store.path)} matches ${filters.map((f) => `--${f} ${values[f]}`).join(' ')}\n`,
    );
  if (!verification.ok)
    io.err(
      `aims-gate: the log fails verification at entry ${verification.problem?.seq} (${verification.problem?.reason}); entries from there on are marked: run aims-gate verify\n`,
    );
  if (bad.length)
    io.err(
      `aims-gate: ${bad.length} line(s) are not audit entries (line ${bad.slice(0, 5).join(', ')}); run aims-gate verify\n`,
    );
  return verification.ok ? 0 : 1;
}
