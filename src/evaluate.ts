import { sha256 } from './audit/entry.js';
import { BUILT_IN_CHECKS } from './builtin-checks.js';
import { compareText } from './collate.js';
import { cleanStatus, controlIds, controlTitle } from './controls.js';
import {
  type GovernanceFile,
  readGovernanceFile,
  systemGovernance,
  systemId,
} from './documents/governance.js';
import { isReadable, loadDocument, prepareDocumentSchemas } from './documents/index.js';
import type { GovernanceDocument, UnreadableDocument } from './documents/types.js';
import { ConfigError } from './errors.js';
import { originalAt, summariseImport } from './formats/index.js';
import { groupBy } from './group.js';
import {
  folderPrefix,
  locationOf,
  type SystemFolder,
  type SystemLocation,
  takeInventory,
} from './inventory.js';
import { LIMITS } from './limits.js';
import { ownCopy, unreadableFile } from './parse/text.js';
import { laxer, loadPolicy, type Policy } from './policy/load.js';
import { applies } from './policy/when.js';
import { RULE_KINDS, type RuleDefinition, type SystemContext } from './rules/index.js';
import { loadStatement, statementNotices } from './soa.js';
import type { Source } from './source.js';
import { closest } from './spelling.js';
import { addToTally, collectEvaluation, emptyTally } from './stream.js';
import { type ChangedSystem, changeTiers, highestTier } from './tiers.js';
import {
  type ControlResult,
  DOCUMENT_KINDS,
  type DocumentKind,
  type Evaluation,
  type EvaluationStream,
  type EvaluationTail,
  type Finding,
  RISK_TIERS,
  type RiskTier,
  type RuleSummary,
  SEVERITIES,
  type Severity,
  type SystemResult,
  type SystemSummary,
  type WaiverResult,
} from './types.js';

export interface EvaluationInput {
  /** The revision under evaluation: documents are read from here. */
  source: Source;
  /** Where configuration and policy come from: the BASE revision of a change. Defaults to `source`. */
  policySource?: Source;
  /** The base revision's documents, so that a change cannot lower its own risk tier. */
  baseSource?: Source;
  configPath?: string;
  /** Where the config's `_extends` is read (the GitHub App and Action); see loadPolicy. */
  extendsFrom?: (target: string) => Source;
  /** Files the change touches; when given, only the systems they touch are evaluated. */
  changedFiles?: string[];
  /** A folder of the repository: only the systems in it, or the one it is in, are evaluated. */
  scope?: string;
  /** YYYY-MM-DD the evaluation is for. */
  today: string;
  failOn?: Severity | 'never';
}

export { highestTier } from './tiers.js';

type LoadedDocuments = Partial<Record<DocumentKind, GovernanceDocument | UnreadableDocument>> & {
  /** SHA-256 of the bytes of each document that was read. */
  digests?: { path: string; sha256: string }[];
  /** The system's governance.yml, where it has one. */
  governanceFile?: GovernanceFile;
};

/** One run of the whole flow, taken whole: policy → inventory → documents → findings → waivers → verdict. */
export async function evaluate(input: EvaluationInput): Promise<Evaluation> {
  return collectEvaluation(await evaluateStream(input));
}

/**
 * One run of the whole flow, made system by system: each system's result (summary and findings, waivers applied)
 * is given as it is judged, in path order, then the findings outside any system; what the verdict, the
 * per-control results and the waivers need is counted on the way, so nothing holds every finding.
 */
export async function evaluateStream(input: EvaluationInput): Promise<EvaluationStream> {
  const policySource = input.policySource ?? input.source;
  const policy = await loadPolicy(policySource, input.configPath, {
    ...(input.extendsFrom ? { extendsFrom: input.extendsFrom } : {}),
  }).catch((error) => {
    // The configuration that judges a change is the base's: a problem there is not in the file on disk.
    if (error instanceof ConfigError && policySource !== input.source)
      error.message += ` (in ${policySource.label}, whose configuration judges this change)`;
    throw error;
  });
  const notices: string[] = [...policy.notices];
  const files = await input.source.list();
  const inventory = takeInventory(files, policy.systems);
  for (const pattern of inventory.unmatched)
    notices.push(`The systems pattern "${pattern}" matches no folder.`);

  const changed = input.changedFiles;
  if (changed && policy.configPath && changed.includes(policy.configPath)) {
    notices.push(
      `This change edits ${policy.configPath}; it was judged by the configuration in ${policySource.label}. The new configuration applies once merged.`,
    );
  }
  const scope = input.scope;
  const inFolder = scope
    ? inventory.systems.filter(
        (s) =>
          s.path === '.' ||
          s.path === scope ||
          s.path.startsWith(`${scope}/`) ||
          scope.startsWith(`${s.path}/`),
      )
    : inventory.systems;
  if (scope && inFolder.length < inventory.systems.length) {
    notices.push(
      `Checked the AI systems under ${scope}: ${inventory.systems.length - inFolder.length} of ${inventory.systems.length} in the repository are elsewhere and were not checked.`,
    );
  }
  const inScope = changed
    ? inFolder.filter((s) => changed.some((file) => s.path === '.' || file.startsWith(`${s.path}/`)))
    : inFolder;
  if (changed && inScope.length < inFolder.length) {
    notices.push(
      `${inFolder.length - inScope.length} of ${inFolder.length} AI systems are untouched by this change and were not checked.`,
    );
  }

  // Systems are read, judged and let go a wave at a time: memory holds the documents of two waves, not of the
  // repository. The first wave is read with the base's tiers and the SoA: over the GitHub API, one batched request.
  // Each system's folder is let go once it is judged, and its location is made when it is read.
  const pending: (SystemFolder | undefined)[] = [...inScope];
  const readWave = (from: number) =>
    Promise.all(
      pending.slice(from, from + SYSTEMS_AT_ONCE).map(async (folder) => {
        const location = locationOf(folder!);
        return { location, read: await readDocuments(input.source, location, location.present) };
      }),
    );
  const [firstWave, changedSystems, statement] = await Promise.all([
    readWave(0),
    input.baseSource
      ? changeTiers(input.baseSource, input.source, changed ?? files, policy.systems)
      : undefined,
    loadStatement(input.source, policy, files),
  ]);
  for (const gone of changedSystems?.filter((s) => s.removed && s.base) ?? []) {
    notices.push(
      `This change removes ${gone.id} (${gone.basePath}) from the inventory or deletes the documents that state its tier; its base tier ${gone.base} still applies.`,
    );
  }

  notices.push(...statementNotices(statement));

  let failOn = input.failOn ?? policy.failOn;
  const laxerFailOn = policy.failOnFloor && laxer(failOn, policy.failOnFloor) ? failOn : undefined;
  if (laxerFailOn) failOn = policy.failOnFloor!;

  const orphans: Finding[] = inventory.orphans
    .filter((o) => !scope || o.path.startsWith(`${scope}/`))
    .map((orphan) => ({
      rule: 'inventory.orphan-document',
      severity: BUILT_IN_CHECKS['inventory.orphan-document'].severity,
      controls: [],
      path: orphan.path,
      line: 1,
      message: `this ${orphan.kind.replace('-', ' ')} is in no declared AI system folder`,
      remedy: BUILT_IN_CHECKS['inventory.orphan-document'].remedy,
    }));
  // The systems' ids and folders (in scope or not) that a waiver names or nearly names: whether each waiver's
  // system exists, and what it may have meant, without keeping every name.
  const waived = [...new Set(policy.waivers.map((w) => w.system))];
  const near = (name: string) => waived.length > 0 && closest(name, waived) !== undefined;
  const known = new Set(inventory.systems.flatMap((s) => [s.path, s.path.split('/').pop()!]).filter(near));
  const systemCount = inScope.length;
  const folderName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
  const sharedFolderNames = new Set(
    [...groupBy(inScope, (s) => folderName(s.path))]
      .filter(([, same]) => same.length > 1)
      .map(([name]) => name),
  );

  const baseTiers = changedSystems && firstOf(changedSystems);
  // Most findings say what others say (the same section missing from thousands of cards): kept once each where
  // findings are held (a whole evaluation). The texts remembered are bounded: many name their file, said once.
  const said = new Map<string, string>();
  const once = (text: string) => {
    const known = said.get(text);
    if (known !== undefined) return known;
    if (said.size >= SAID_TEXTS) said.clear();
    said.set(text, text);
    return text;
  };
  const judge = (location: SystemLocation, read: ReadDocuments, id?: string) =>
    judgeSystem(policy, location, read(), {
      changed,
      today: input.today,
      baseTiers,
      id,
      once,
      repository: input.source.repository,
    });

  // What is kept as systems are judged: the ids taken, the rules each system ran, counts and tallies. Each id is
  // kept as its own copy: one stated in a document is a piece of that document's text (see ownCopy).
  /** Each id taken, with the folder of the system that took it. */
  const named = new Map<string, string>();
  /** The systems' ids, in the order judged. */
  const ids: string[] = [];
  /** The rules each system ran (with or without findings): what each rule can vouch for in its controls. */
  const ran = new RulesRan(policy.rules.length);
  const waiving = waiversAsJudged(policy, input.today);
  const open = new Map<string, { count: number; worst: number }>();
  const tally = emptyTally();
  let blocking = false;
  const taken = (result: SystemResult): SystemResult => {
    result.findings.sort(compareFindings);
    if (result.summary) countFindings(result.summary, result.findings);
    addToTally(tally, result);
    for (const f of result.findings) {
      if (f.waiver) continue;
      blocking ||= blocks(f.severity, failOn);
      // Per control: how many open findings cite it, and the worst of them.
      for (const control of f.controls) {
        const seen = open.get(control) ?? { count: 0, worst: SEVERITIES.length };
        seen.count++;
        seen.worst = Math.min(seen.worst, SEVERITIES.indexOf(f.severity));
        open.set(control, seen);
      }
    }
    return result;
  };

  let tail: EvaluationTail | undefined;
  async function* results(): AsyncGenerator<SystemResult> {
    let wave: Promise<typeof firstWave> | undefined = Promise.resolve(firstWave);
    for (let from = 0; wave; from += SYSTEMS_AT_ONCE) {
      const loaded = await wave;
      // A turn of the event loop per wave: a wave read while the last was judged is ready at once, and without a
      // turn the tasks V8 posts to the loop (finishing a concurrent collection) likely wait while its heap grows:
      // at 25,109 systems most runs peaked at 355-358 MiB without, 202-244 MiB with (bench/README.md).
      await new Promise((resolve) => setImmediate(resolve));
      // The next wave is read while this one is judged and written.
      wave = from + SYSTEMS_AT_ONCE < systemCount ? readWave(from + SYSTEMS_AT_ONCE) : undefined;
      for (const [k, { location, read: documents }] of loaded.entries()) {
        pending[from + k] = undefined;
        let judged = judge(location, documents);
        // Findings, waivers and reports key on the id. Folders of one name (teams/a/churn, teams/b/churn) are
        // known from the start: each is reported by its path. Where a folder states an id already taken (the
        // first has been written), the later one is. Either is judged again under its path, which a rule's `when`
        // may test.
        const { id } = judged.summary;
        const first = named.get(id);
        if (first !== undefined || (sharedFolderNames.has(id) && id === folderName(location.path))) {
          notices.push(
            `Two AI systems are named "${id}"; ${first !== undefined ? `${first} keeps the name, ` : ''}${location.path} is reported by its path.`,
          );
          judged = judge(location, documents, location.path);
        }
        const kept = ownCopy(judged.summary.id);
        named.set(kept, location.path);
        ids.push(kept);
        ran.add(judged.applied);
        if (near(kept)) known.add(kept);
        waiving.apply(judged.summary, judged.findings);
        yield taken({ summary: judged.summary, findings: judged.findings });
      }
    }
    if (orphans.length) yield taken({ findings: orphans });

    const waivers = waiving.results();
    for (const w of waivers.filter((w) => w.status === 'expired')) {
      notices.push(`The waiver of ${w.rule} for ${w.system} expired on ${w.expires} and no longer applies.`);
    }
    notices.push(...idleWaivers(policy, known));
    if (laxerFailOn)
      notices.push(`fail-on ${laxerFailOn} is laxer than the organisation enforces; ${failOn} applies.`);
    tail = {
      verdict: blocking ? 'fail' : 'pass',
      failOn,
      // Each rule's systems are listed when read, not kept: the JSON writes one rule at a time, and twelve lists
      // of 25,109 ids held at once were a third of what the check held at its end (collectEvaluation keeps them).
      rules: policy.rules.map((rule, r) => ({
        ...summariseRule(rule),
        get appliedTo() {
          return ran.systems(r, ids);
        },
      })),
      controls: controlResults(policy, open, (r) => ran.any(r)),
      waivers,
      notices,
      disabled: policy.disabled,
      tally,
    };
  }

  return {
    head: {
      failOn,
      today: input.today,
      policy: {
        id: policy.packs.join(' + '),
        configPath: policy.configPath,
        configSource: policySource.label,
        auditLog: policy.auditLog,
        releaseBranches: policy.release.branches ?? [],
        approvals: policy.approvals,
        audits: policy.audits,
        objectives: policy.objectives,
      },
      statement,
      ...(changedSystems ? { changedSystems } : {}),
      systems: systemCount,
      ruleIds: policy.rules.map((r) => r.id),
    },
    results: results(),
    tail: () => {
      if (!tail) throw new Error('the evaluation is not over: take every result before its tail');
      return tail;
    },
  };
}

export function summariseRule(rule: RuleDefinition): Omit<RuleSummary, 'appliedTo'> {
  const { id, title, kind, severity, controls, clauses = [], remedy, when } = rule;
  const reads = RULE_KINDS.get(kind)!.reads(rule);
  const documents = [
    ...new Set([...reads, ...(typeof rule.document === 'string' ? [rule.document as DocumentKind] : [])]),
  ];
  return {
    id,
    title,
    kind,
    severity,
    controls,
    clauses,
    remedy,
    documents,
    ...(when ? { when } : {}),
    ...(RULE_KINDS.get(kind)!.presenceOnly?.(rule) ? { presenceOnly: true as const } : {}),
  };
}

export function blocks(severity: Severity, failOn: Severity | 'never'): boolean {
  return failOn !== 'never' && SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(failOn);
}

/** What is kept of a system once it is judged: its summary and findings; its documents are let go. */
interface JudgedSystem {
  summary: SystemSummary;
  findings: Finding[];
  /** The rules that ran on it with a readable document, by their place in the policy. */
  applied: number[];
}

/**
 * Which rules each system ran, a bit per rule per system in the order the systems were judged: what
 * `rules[].appliedTo` lists at the end. A list of ids per rule held a reference per rule and system, 130 bytes
 * a system on the Hub cards; this holds 6.
 */
export class RulesRan {
  #bits = new Uint8Array(0);
  #systems = 0;
  readonly #width: number;
  /** Whether each rule ran on any system. */
  readonly #any: boolean[];

  constructor(rules: number) {
    this.#width = Math.ceil(rules / 8);
    this.#any = new Array<boolean>(rules).fill(false);
  }

  /** The next system, which ran these rules (by their place in the policy). */
  add(rules: number[]): void {
    const at = this.#systems++ * this.#width;
    if (at + this.#width > this.#bits.length) {
      // Doubled, and at least one system's row: a policy of more than 512 rules needs more than 64 bytes a row.
      const grown = new Uint8Array(Math.max(64, 2 * this.#bits.length, at + this.#width));
      grown.set(this.#bits);
      this.#bits = grown;
    }
    for (const r of rules) {
      this.#bits[at + (r >> 3)]! |= 1 << (r & 7);
      this.#any[r] = true;
    }
  }

  /** The ids of the systems that ran the rule, in the order judged. */
  systems(rule: number, ids: string[]): string[] {
    const at = rule >> 3;
    const bit = 1 << (rule & 7);
    return ids.filter((_, system) => (this.#bits[system * this.#width + at]! & bit) !== 0);
  }

  /** Whether any system ran the rule. */
  any(rule: number): boolean {
    return this.#any[rule]!;
  }
}

/** Texts of findings remembered to be shared: the common ones come back within this many, the rest are one-offs. */
const SAID_TEXTS = 4096;

/** Documents of this many systems are read at once (a GitHub source reads a wave in one batched request). */
const SYSTEMS_AT_ONCE = 64;

/** `items.find((i) => i.id === id || i.path === path)`, answered in constant time: for one look-up per system. */
function firstOf<T extends { id: string; path?: string }>(
  items: T[],
): (id: string, path: string) => T | undefined {
  const byId = new Map<string, number>();
  const byPath = new Map<string, number>();
  items.forEach((item, i) => {
    if (!byId.has(item.id)) byId.set(item.id, i);
    if (item.path !== undefined && !byPath.has(item.path)) byPath.set(item.path, i);
  });
  return (id, path) =>
    items[Math.min(byId.get(id) ?? Number.POSITIVE_INFINITY, byPath.get(path) ?? Number.POSITIVE_INFINITY)];
}

/** One system's rules, run on its documents; `id` overrides the system's own where two systems share it. */
function judgeSystem(
  policy: Policy,
  location: SystemLocation,
  loaded: LoadedDocuments,
  options: {
    changed?: string[];
    today: string;
    baseTiers?: (id: string, path: string) => ChangedSystem | undefined;
    id?: string;
    /** The one copy of a text that many findings share. */
    once: (text: string) => string;
    repository: string | undefined;
  },
): JudgedSystem {
  const system = systemContext(location, loaded, options.changed, options.repository);
  if (options.id !== undefined) system.facts.id = options.id;
  const before = options.baseTiers?.(system.facts.id, location.path);
  const summary = summarise(system, location, loaded.digests ?? [], before?.base);
  system.facts.tier = summary.tier;
  const findings: Finding[] = [];
  const applied: number[] = [];
  for (const [r, rule] of policy.rules.entries()) {
    const outcome = runRule(rule, system, options.today);
    if (outcome === 'not-applicable') continue;
    summary.checks++;
    if (outcome === 'unreadable') summary.skipped++;
    else applied.push(r);
    for (const violation of outcome === 'unreadable' ? [] : outcome) {
      findings.push({
        rule: rule.id,
        severity: rule.severity,
        controls: rule.controls,
        system: summary.id,
        path: violation.path,
        line: violation.line,
        column: violation.column,
        message: options.once(violation.message),
        remedy: options.once(violation.remedy ?? rule.remedy),
      });
    }
  }
  for (const kind of DOCUMENT_KINDS) {
    const doc = loaded[kind];
    if (!doc || !isReadable(doc) || !doc.imported) continue;
    // A finding about an imported document quotes the original answer at its line.
    for (const finding of findings) {
      if (finding.path !== doc.path) continue;
      const original = originalAt(doc.imported, finding.line);
      if (original) finding.original = original;
    }
    summary.imports = [...(summary.imports ?? []), summariseImport(doc.path, doc.imported)];
    findings.push(importedFinding(doc, summary.id));
  }
  const file = loaded.governanceFile;
  // A key its schema does not know states nothing: `teir: high` leaves the tier unstated, so it is said here.
  const problems = !file
    ? []
    : 'problem' in file
      ? [
          {
            ...file.problem,
            line: file.problem.line ?? 1,
            message: `cannot be read: ${file.problem.message}`,
          },
        ]
      : file.violations;
  for (const problem of problems)
    findings.push({
      rule: 'inventory.governance-file',
      severity: BUILT_IN_CHECKS['inventory.governance-file'].severity,
      controls: [],
      system: summary.id,
      path: file!.path,
      line: problem.line,
      ...(problem.column ? { column: problem.column } : {}),
      message: problem.message,
      remedy: problem.fix,
    });
  return { summary, findings, applied };
}

/**
 * A system's documents as read. They are parsed when the system is judged, so that each parsed tree lives and
 * dies within one system's judging, never waiting in memory for the reads of others.
 */
type ReadDocuments = () => LoadedDocuments;

async function readDocuments(
  source: Source,
  system: SystemLocation,
  kinds: DocumentKind[],
): Promise<ReadDocuments> {
  await prepareDocumentSchemas();
  // Asked for with the documents, so a GitHub source reads them in one request; awaited together, so a
  // failed request is one rejection, not a second one nobody awaits.
  const [file, reads] = await Promise.all([
    readGovernanceFile(source, system.path),
    Promise.all(
      kinds.map(async (kind) => {
        const path = system.paths[kind];
        return { kind, path, read: await source.read(path, LIMITS.maxFileBytes) };
      }),
    ),
  ]);
  return () => {
    const loaded: LoadedDocuments = { digests: [] };
    for (const { kind, path, read } of reads) {
      if ('missing' in read) continue;
      if (!('bytes' in read)) {
        loaded[kind] = { kind, path, problem: unreadableFile(read) };
        continue;
      }
      loaded[kind] = loadDocument(kind, path, read.bytes, system.formats?.[kind]);
      loaded.digests!.push({ path, sha256: sha256(read.bytes) });
    }
    if (file) loaded.governanceFile = file;
    if (file?.bytes) loaded.digests!.push({ path: file.path, sha256: sha256(file.bytes) });
    loaded.digests!.sort((a, b) => compareText(a.path, b.path));
    return loaded;
  };
}

/** What an importer mapped from where, what it could not map, and how many answers the original gives. */
function importedFinding(doc: GovernanceDocument, system: string): Finding {
  const { format, mapped, unmapped, answers } = doc.imported!;
  const fields = [...new Set(mapped.map((m) => String(m.to[0])))];
  const from = (field: string) =>
    [...new Set(mapped.filter((m) => m.to[0] === field && m.from.length).map((m) => m.from.join('.')))]
      .slice(0, 3)
      .join(', ');
  const listed = (names: string[]) =>
    names.length > 12 ? `${names.slice(0, 12).join(', ')} and ${names.length - 12} more` : names.join(', ');
  const answered = answers.filter((a) => a.answer !== undefined).length;
  return {
    rule: 'document.imported',
    severity: BUILT_IN_CHECKS['document.imported'].severity,
    controls: [],
    system,
    path: doc.path,
    line: 1,
    message: `read as ${format}: ${fields.map((f) => (from(f) ? `${f} from ${from(f)}` : f)).join('; ') || 'nothing mapped'}${
      answers.length ? `; ${answered} of ${answers.length} questions answered` : ''
    }${unmapped.length ? `; not mapped: ${listed(unmapped)}` : ''}`,
    remedy: BUILT_IN_CHECKS['document.imported'].remedy,
  };
}

function systemContext(
  location: SystemLocation,
  loaded: LoadedDocuments,
  changed: string[] | undefined,
  repository: string | undefined,
): SystemContext {
  const documents: SystemContext['documents'] = {};
  const unreadable: SystemContext['unreadable'] = {};
  for (const kind of DOCUMENT_KINDS) {
    const doc = loaded[kind];
    if (!doc) continue;
    if (isReadable(doc)) (documents as Record<string, GovernanceDocument>)[kind] = doc;
    else unreadable[kind] = doc;
  }
  const card = documents['model-card'];
  const merged = systemGovernance(
    card?.kind === 'model-card' ? card : undefined,
    loaded.governanceFile,
    location.governance,
  );
  // An imported assessment that rates impact (Canada's AIA level) states the tier where nothing else does.
  const impact = documents['impact-assessment'];
  const rated = impact?.imported ? (impact.data.value as Record<string, unknown>)['x-tier'] : undefined;
  if (merged.values.tier === undefined && RISK_TIERS.includes(rated as RiskTier)) {
    merged.values.tier = rated as RiskTier;
    merged.from.tier = `${impact!.path} (${impact!.imported!.format})`;
  }
  const governance = merged.values;
  const prefix = folderPrefix(location.path);
  return {
    governance: merged,
    facts: {
      id: systemId(
        governance.system,
        location.path,
        card?.kind === 'model-card' ? card : undefined,
        repository,
      ),
      path: location.path,
      status: governance.status,
      changed: changed ? true : undefined,
      documents: location.present,
    },
    paths: location.paths,
    documents,
    unreadable,
    changedFiles: changed?.filter((file) => file.startsWith(prefix)),
    watch: location.watch,
  };
}

/** The tier is the highest any document states, in this revision or the base: a change cannot lower its own bar. */
function summarise(
  system: SystemContext,
  location: SystemLocation,
  digests: SystemSummary['evidence'],
  baseTier: RiskTier | undefined,
): SystemSummary {
  const risk = system.documents['risk-assessment'];
  const governance = system.governance.values;
  const head = highestTier([governance.tier, risk?.kind === 'risk-assessment' ? risk.tier : undefined]);
  const tier = highestTier([head, baseTier]);
  return {
    id: system.facts.id,
    path: location.path,
    tier,
    tierNote:
      tier !== head
        ? `the base revision states tier ${tier}; this change lowers it to ${head ?? 'none'}`
        : undefined,
    status: system.facts.status,
    owner: governance.owner,
    version: governance.version ?? (risk?.kind === 'risk-assessment' ? risk.version : undefined),
    changed: system.facts.changed,
    documents: Object.fromEntries(location.present.map((kind) => [kind, location.paths[kind]])),
    evidence: digests,
    ...(risk?.kind === 'risk-assessment'
      ? {
          risks: risk.risks.map((r) => ({
            ...(r.id ? { id: r.id } : {}),
            ...(r.treatment ? { treatment: r.treatment } : {}),
            controls: r.controls,
          })),
        }
      : {}),
    counts: { major: 0, minor: 0, observation: 0 },
    waived: 0,
    checks: 0,
    skipped: 0,
  };
}

/** The tier a change is judged at: the highest of its systems', those it removes included. */
export function requiredTier(evaluation: Evaluation): RiskTier | undefined {
  return highestTier([
    ...evaluation.systems.map((s) => s.tier),
    ...(evaluation.changedSystems ?? []).map((s) => s.tier),
  ]);
}

function runRule(rule: RuleDefinition, system: SystemContext, today: string) {
  if (rule.when && !applies(rule.when, system.facts)) return 'not-applicable' as const;
  const kind = RULE_KINDS.get(rule.kind)!;
  if (kind.reads(rule).some((doc) => system.unreadable[doc])) return 'unreadable' as const;
  const outcome = kind.evaluate(rule, system, { today });
  if (outcome === 'not-applicable' || outcome.length <= LIMITS.maxFindingsPerRule) return outcome;
  const rest = outcome.length - LIMITS.maxFindingsPerRule + 1;
  return [
    ...outcome.slice(0, LIMITS.maxFindingsPerRule - 1),
    { ...outcome.at(-1)!, message: `${rest} more like this; the first is: ${outcome.at(-1)!.message}` },
  ];
}

/**
 * Waivers applied as systems are judged: each to the first system, in path order, whose id or folder it names
 * (as a look-up in the whole list would find), and there to that system's findings of its rule.
 */
function waiversAsJudged(policy: Policy, today: string) {
  const byName = groupBy(policy.waivers.keys(), (i) => policy.waivers[i]!.system);
  const covered: (number | undefined)[] = policy.waivers.map(() => undefined);
  return {
    apply(system: SystemSummary, findings: Finding[]): void {
      for (const name of new Set([system.id, system.path]))
        for (const i of byName.get(name) ?? []) {
          if (covered[i] !== undefined) continue;
          const waiver = policy.waivers[i]!;
          const own = findings.filter((f) => f.rule === waiver.rule);
          covered[i] = own.length;
          if (waiver.expires >= today) for (const finding of own) finding.waiver = waiver;
        }
    },
    results(): WaiverResult[] {
      return policy.waivers.map((waiver, i) => {
        const findings = covered[i] ?? 0;
        const status = waiver.expires < today ? 'expired' : findings > 0 ? 'applied' : 'unused';
        return { ...waiver, status, findings };
      });
    },
  };
}

/**
 * Waivers that waive nothing because of what they name, most often a typo: a rule no pack defines or one
 * disabled here, or a system that is nowhere (`known`: the ids and folders, outside this check's scope too,
 * that a waiver names or nearly names).
 */
function idleWaivers(policy: Policy, known: Set<string>): string[] {
  const rules = policy.rules.map((r) => r.id);
  const disabled = policy.disabled.map((d) => d.id);
  return policy.waivers.flatMap((w) => {
    const said: string[] = [];
    if (disabled.includes(w.rule))
      said.push(`A waiver names rule "${w.rule}", which is disabled here: it waives nothing.`);
    else if (!rules.includes(w.rule) && !(w.rule in BUILT_IN_CHECKS)) {
      const near = closest(w.rule, [...rules, ...disabled]);
      said.push(
        `A waiver names rule "${w.rule}", which no pack defines${near ? ` (did you mean "${near}"?)` : ''}: it waives nothing.`,
      );
    }
    if (!known.has(w.system)) {
      const near = closest(w.system, [...known]);
      said.push(
        `The waiver of ${w.rule} names system "${w.system}", which is not in this repository${near ? ` (did you mean "${near}"?)` : ''}: it waives nothing.`,
      );
    }
    return said;
  });
}

function countFindings(summary: SystemSummary, findings: Finding[]): void {
  for (const finding of findings) {
    if (finding.waiver) summary.waived++;
    else summary.counts[finding.severity]++;
  }
}

function compareFindings(a: Finding, b: Finding): number {
  return (
    compareText(a.system ?? '~', b.system ?? '~') ||
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    compareText(a.path ?? '', b.path ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    compareText(a.rule, b.rule)
  );
}

/** Per Annex A control: the worst open finding of the rules citing it, or what they evidence if they ran clean. */
function controlResults(
  policy: Policy,
  open: Map<string, { count: number; worst: number }>,
  ranAny: (rule: number) => boolean,
): ControlResult[] {
  return controlIds().map((control) => {
    const citing = [...policy.rules.entries()].filter(([, r]) => r.controls.includes(control));
    const rules = citing.map(([, r]) => r.id);
    const found = open.get(control);
    const ran = citing.filter(([r]) => ranAny(r)).map(([, rule]) => summariseRule(rule));
    const status =
      (found && SEVERITIES[found.worst]) ?? (ran.length > 0 ? cleanStatus(ran) : 'not-evaluated');
    return { control, title: controlTitle(control), status, rules, findings: found?.count ?? 0 };
  });
}
