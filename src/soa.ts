import { controlIds } from './controls.js';
import { matches } from './glob.js';
import { LIMITS } from './limits.js';
import type { Problem } from './parse/problem.js';
import { decodeText, unreadableFile } from './parse/text.js';
import { parseData } from './parse/yaml.js';
import type { Policy } from './policy/load.js';
import { compileSchema, prepareSchemas, validateData } from './schema.js';
import type { Source } from './source.js';

/**
 * The organisation's Statement of Applicability (ISO/IEC 42001 6.1.3): a file it owns and reviews through pull
 * requests, declaring per Annex A control whether it applies, why (a risk, a treatment, a legal or contractual
 * requirement), its implementation status, owner and evidence. aims-gate never decides applicability: it reads
 * this declaration, sets its own evidence beside it, and flags where the two disagree.
 */

export const DEFAULT_SOA_PATH = 'governance/statement-of-applicability.yml';

export const SOA_STATUSES = ['implemented', 'partially-implemented', 'planned', 'not-implemented'] as const;
export type SoaStatus = (typeof SOA_STATUSES)[number];

export const REQUIREMENT_TYPES = ['legal', 'regulatory', 'contractual', 'policy'] as const;

/** A value `init` writes for the organisation to fill in: the validation says it is unfinished. */
export const TODO = /^\s*TODO\b/;

export interface DeclaredControl {
  applicable: boolean;
  /** Why it is needed (applicable) or why it is excluded. */
  justification: {
    risks: string[];
    treatments: string[];
    requirements: { type: string; text: string }[];
    exclusion?: string;
  };
  status?: SoaStatus;
  owner?: string;
  evidence: string[];
  /** Audit-log event types whose entries evidence the control (e.g. custom.fairness-review). */
  events: string[];
  line: number;
}

/** `unfinished`: a TODO `init` wrote that only the organisation can answer (not a schema error). */
export type SoaProblem = Problem & { unfinished?: true };

/** The SoA as read: what it declares, and what is wrong with it (file and line). */
export interface Statement {
  path: string;
  found: boolean;
  /** `config`: the deprecated `statement-of-applicability` map in the config, read as a declaration. */
  from: 'file' | 'config';
  organisation?: string;
  scope?: string;
  version?: string;
  controls: Record<string, DeclaredControl>;
  problems: SoaProblem[];
  /** Its last change on the trusted history, where it can be known. */
  approval?: SoaApproval;
}

const text = { type: 'string', minLength: 1 } as const;
const texts = { type: 'array', items: text } as const;

/** The SoA's JSON Schema (schemas/statement-of-applicability.schema.json is generated from it). */
export function soaSchema(): object {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://unpkg.com/aims-gate@0/schemas/statement-of-applicability.schema.json',
    title: 'aims-gate Statement of Applicability (ISO/IEC 42001:2023 6.1.3, Annex A)',
    description:
      "The organisation's Statement of Applicability: per Annex A control, whether it applies and why, its implementation status, owner and evidence. Reviewed through pull requests; its version and approval come from the trusted branch's history.",
    type: 'object',
    additionalProperties: false,
    required: ['organisation', 'scope', 'version', 'controls'],
    properties: {
      organisation: { ...text, description: 'The organisation whose AI management system this is.' },
      scope: { ...text, description: "The AI management system's scope (clause 4.3)." },
      version: {
        anyOf: [text, { type: 'number' }],
        description:
          "The SoA's own version, e.g. 1.2: the report shows it beside the commit that last changed it.",
      },
      controls: {
        type: 'object',
        description:
          'Every Annex A control, each declared once (a control left out is reported as not declared).',
        propertyNames: { enum: controlIds() },
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          required: ['applicable', 'justification'],
          properties: {
            applicable: { type: 'boolean' },
            justification: {
              type: 'object',
              additionalProperties: false,
              description:
                'Why the control is needed — a risk id from a risk register, a risk treatment, or a legal, regulatory, contractual or policy requirement — or, when it is not applicable, why it is excluded.',
              properties: {
                risks: {
                  ...texts,
                  description: "Risk ids from the AI systems' risk registers, e.g. [R-003].",
                },
                treatments: {
                  ...texts,
                  description: 'Risk treatments (plans, decisions) that need the control.',
                },
                requirements: {
                  type: 'array',
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['type', 'text'],
                    properties: { type: { enum: [...REQUIREMENT_TYPES] }, text },
                  },
                },
                exclusion: {
                  ...text,
                  description: 'Why the control does not apply (when applicable is false).',
                },
              },
            },
            status: { enum: [...SOA_STATUSES], description: 'Implementation status.' },
            owner: { ...text, description: 'Who owns the control: a person or team.' },
            evidence: { ...texts, description: 'Documents or links that evidence the control.' },
            events: {
              ...texts,
              description:
                'Audit-log event types whose entries evidence the control, e.g. [custom.fairness-review].',
            },
          },
          if: { properties: { applicable: { const: true } } },
          // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword
          then: {
            required: ['status', 'owner'],
            properties: {
              justification: {
                anyOf: [
                  { required: ['risks'], properties: { risks: { minItems: 1 } } },
                  { required: ['treatments'], properties: { treatments: { minItems: 1 } } },
                  { required: ['requirements'], properties: { requirements: { minItems: 1 } } },
                ],
              },
            },
          },
          else: { properties: { justification: { required: ['exclusion'] } } },
        },
      },
    },
  };
}

let validator: ReturnType<typeof compileSchema> | undefined;

/** Reads the SoA file: never throws; whatever is wrong comes back as problems at their lines. */
export function readStatement(path: string, bytes: Uint8Array | undefined): Statement {
  const empty: Statement = { path, found: bytes !== undefined, from: 'file', controls: {}, problems: [] };
  if (!bytes) return empty;
  const decoded = decodeText(bytes);
  if ('problem' in decoded) return { ...empty, problems: [decoded.problem] };
  const parsed = parseData(decoded.text);
  if ('problem' in parsed) return { ...empty, problems: [parsed.problem] };
  const { data } = parsed;
  const doc = data.value as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    return {
      ...empty,
      problems: [{ line: 1, message: 'the Statement of Applicability is not a mapping', fix: START }],
    };
  validator ??= compileSchema(soaSchema());
  const problems: SoaProblem[] = validateData(validator, data).map(({ line, column, message, fix }) => ({
    line,
    ...(column === undefined ? {} : { column }),
    message,
    fix,
  }));
  // `init` writes TODO where only the organisation can answer: unfinished, and said so at its line.
  const walk = (value: unknown, pointer: (string | number)[]) => {
    if (typeof value === 'string' && TODO.test(value))
      problems.push({
        ...data.locate(pointer),
        message: `${pointer.join('.')} is unfinished: "${value.slice(0, 80)}"`,
        fix: 'Replace the TODO with the answer (who owns it, which risk, treatment or requirement needs it).',
        unfinished: true,
      });
    else if (value && typeof value === 'object')
      for (const [key, child] of Object.entries(value))
        walk(child, [...pointer, Array.isArray(value) ? Number(key) : key]);
  };
  walk(doc, []);
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const controls: Record<string, DeclaredControl> = {};
  const known = new Set(controlIds());
  for (const [id, entry] of Object.entries((doc.controls as Record<string, unknown>) ?? {})) {
    if (!known.has(id) || !entry || typeof entry !== 'object') continue;
    controls[id] = declared(entry as Record<string, unknown>, data.locate(['controls', id]).line ?? 0);
  }
  // A control that does not apply is not implemented or planned: a status there contradicts the exclusion.
  for (const [id, control] of Object.entries(controls))
    if (!control.applicable && control.status)
      problems.push({
        line: control.line,
        message: `${id} is declared not applicable, yet its status is ${control.status}`,
        fix: `Remove status from ${id}, or declare it applicable with the risk, treatment or requirement that needs it.`,
      });
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  return {
    ...empty,
    organisation: str(doc.organisation),
    scope: str(doc.scope),
    version: str(doc.version),
    controls,
    problems,
  };
}

/**
 * The SoA's problems as notices: each schema problem at its line, and the TODOs `init` wrote listed while they
 * are few, then counted in one line (a fresh SoA has two per control, which would bury every finding).
 */
export function statementNotices({ path, problems }: Statement, listed = 3): string[] {
  const at = (p: SoaProblem) => `${path}${p.line ? `:${p.line}` : ''}: ${p.message}. ${p.fix}`;
  const unfinished = problems.filter((p) => p.unfinished);
  const notices = problems.filter((p) => !p.unfinished).map(at);
  if (unfinished.length <= listed) return [...notices, ...unfinished.map(at)];
  return [
    ...notices,
    `${path}: ${unfinished.length} answers are unfinished (TODO), the first at line ${unfinished[0]!.line ?? 1}; \`aims-gate validate\` lists them all. Replace each TODO with the organisation's answer before the SoA goes to an auditor.`,
  ];
}

const START = `Start from the template: npx aims-gate init --soa writes ${DEFAULT_SOA_PATH} with every Annex A control.`;

function declared(entry: Record<string, unknown>, line: number): DeclaredControl {
  const list = (v: unknown) =>
    Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && !TODO.test(s)) : [];
  const j = (entry.justification ?? {}) as Record<string, unknown>;
  const requirements = Array.isArray(j.requirements)
    ? (j.requirements as { type?: unknown; text?: unknown }[])
        .filter((r) => typeof r?.type === 'string' && typeof r.text === 'string' && !TODO.test(r.text))
        .map((r) => ({ type: r.type as string, text: r.text as string }))
    : [];
  const real = (v: unknown) => (typeof v === 'string' && !TODO.test(v) ? v : undefined);
  const exclusion = real(j.exclusion);
  const owner = real(entry.owner);
  return {
    applicable: entry.applicable === true,
    justification: {
      risks: list(j.risks),
      treatments: list(j.treatments),
      requirements,
      ...(exclusion ? { exclusion } : {}),
    },
    ...(SOA_STATUSES.includes(entry.status as SoaStatus) ? { status: entry.status as SoaStatus } : {}),
    ...(owner ? { owner } : {}),
    evidence: list(entry.evidence),
    events: list(entry.events),
    line,
  };
}

/** The deprecated config map (`statement-of-applicability:` with control entries), read as a declaration. */
export function statementFromConfig(
  configPath: string,
  map: Record<string, { applicable: boolean; justification: string; evidence?: string[]; events?: string[] }>,
): Statement {
  const controls: Record<string, DeclaredControl> = {};
  for (const [id, entry] of Object.entries(map))
    controls[id] = {
      applicable: entry.applicable,
      // A free-text justification names no risk, treatment or requirement: the report says so.
      justification: entry.applicable
        ? { risks: [], treatments: [], requirements: [] }
        : { risks: [], treatments: [], requirements: [], exclusion: entry.justification },
      evidence: entry.evidence ?? [],
      events: entry.events ?? [],
      line: 0,
    };
  return { path: configPath, found: true, from: 'config', controls, problems: [] };
}

/** Whether a declared applicable control says why it is needed. */
export function justifiesNeed(control: DeclaredControl): boolean {
  const j = control.justification;
  return j.risks.length + j.treatments.length + j.requirements.length > 0;
}

/** The SoA's justification in words, as the report prints it. */
export function justificationWords(control: DeclaredControl): string {
  const j = control.justification;
  if (!control.applicable)
    return j.exclusion ? `Excluded: ${j.exclusion}` : 'Excluded, with no reason given.';
  return [
    j.risks.length ? `Risks ${j.risks.join(', ')}.` : '',
    j.treatments.length ? `Treatments: ${j.treatments.join('; ')}.` : '',
    ...j.requirements.map((r) => `${r.type[0]!.toUpperCase()}${r.type.slice(1)} requirement: ${r.text}.`),
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * The SoA's version and approval, from the trusted history: the last commit that changed the file on the
 * trusted branch and, on GitHub, the pull request it came from and who approved that pull request. Gathered by
 * adapters (git locally, the GitHub API in the App); decided here.
 */
export interface SoaHistoryFacts {
  /** The last commit that changed the file, or undefined when the history does not have the file. */
  commit?: { sha: string; author?: string; date?: string };
  /** Where the history was read: e.g. "git log of HEAD", "main on GitHub". */
  where: string;
  /** The working copy differs from that commit (locally): the version read is not the one committed. */
  modified?: boolean;
  /** The `version:` the file states at that commit, and at the commit before it (locally). */
  versions?: { committed?: string; parent?: string };
  /**
   * The pull request that brought that commit, where the history can say (GitHub); null: none did (a push);
   * undefined: not known (a git log does not record reviews).
   */
  pullRequest?: {
    number: number;
    /** Its head when merged: an approval of an earlier commit did not see what was merged. */
    head?: string;
    author?: string;
    /** Every review, in order: the latest decision of each reviewer counts. */
    reviews: { user: string; state: string; commit?: string }[];
  } | null;
}

export interface SoaApproval {
  where: string;
  commit?: string;
  changedBy?: string;
  changedAt?: string;
  pullRequest?: number;
  /** Who approved the pull request: latest decision APPROVED, on its merged head, and not its author. */
  approvedBy: string[];
  /** In words, with "not known" where the history cannot say. */
  summary: string;
}

/**
 * What the trusted history says of the SoA's version and approval: a pure decision over gathered facts.
 * `current` is the version the file read states: a change under an unchanged version is flagged (7.5.2).
 */
export function soaApproval(facts: SoaHistoryFacts, current?: string): SoaApproval {
  const { commit, where } = facts;
  if (!commit)
    return {
      where,
      approvedBy: [],
      summary: `Version and approval not known: the file has no commit in the ${where} (not committed, or that history is not there).`,
    };
  const base = {
    where,
    commit: commit.sha,
    ...(commit.author ? { changedBy: commit.author } : {}),
    ...(commit.date ? { changedAt: commit.date } : {}),
  };
  const changed = `Last changed in ${commit.sha.slice(0, 12)} by ${commit.author ?? 'an author not known'} on ${commit.date?.slice(0, 10) ?? 'a date not known'} (${where})`;
  const { committed, parent } = facts.versions ?? {};
  const modified = `${
    facts.modified
      ? ` The working copy differs from that commit: the SoA read here is not the committed, approved one${current !== undefined && current === committed ? `, and it still states version ${current}: a changed SoA needs a new version` : ''}.`
      : ''
  }${committed !== undefined && committed === parent ? ` That commit changed it without a new version (${committed}, as before it): a changed SoA needs a new version.` : ''}`;
  if (facts.pullRequest === undefined)
    return {
      ...base,
      approvedBy: [],
      summary: `${changed}; who approved it is not known (a git log does not record reviews).${modified}`,
    };
  if (facts.pullRequest === null)
    return {
      ...base,
      approvedBy: [],
      summary: `${changed}, pushed without a pull request: no one approved it through review.${modified}`,
    };
  const pr = facts.pullRequest;
  const latest = new Map<string, { state: string; commit?: string }>();
  for (const review of pr.reviews)
    if (review.state !== 'COMMENTED' && review.state !== 'PENDING') latest.set(review.user, review);
  const approving = [...latest].filter(([user, r]) => r.state === 'APPROVED' && user !== pr.author);
  const onHead = approving.filter(([, r]) => !pr.head || !r.commit || r.commit === pr.head);
  const approvedBy = onHead.map(([user]) => user).sort();
  const stale = approving.length - onHead.length;
  return {
    ...base,
    pullRequest: pr.number,
    approvedBy,
    summary: `${changed}, through pull request #${pr.number}${
      approvedBy.length ? `, approved by ${approvedBy.join(', ')}` : ', which no one but its author approved'
    }${stale ? ` (${stale} approval${stale === 1 ? '' : 's'} of an earlier commit not counted)` : ''}.${modified}`,
  };
}

/** The starting SoA `init` writes: every control, status planned, what only the organisation knows as TODO. */
export function startingStatement(titles: Record<string, string>, schemaLink: string): string {
  const lines = [
    `# yaml-language-server: $schema=${schemaLink}`,
    '# The Statement of Applicability (ISO/IEC 42001 6.1.3): your decision, reviewed through pull requests.',
    '# For each Annex A control: does it apply, and why (a risk id from a risk register, a treatment, or a',
    '# legal, regulatory, contractual or policy requirement); its status, owner and evidence. A control that',
    '# does not apply: applicable: false and justification.exclusion saying why. Every TODO is reported as',
    '# unfinished until you replace it.',
    'organisation: "TODO: your organisation"',
    'scope: "TODO: the scope of your AI management system (clause 4.3)"',
    'version: "0.1"',
    'controls:',
  ];
  for (const [id, title] of Object.entries(titles))
    lines.push(
      `  ${id}: # ${title}`,
      '    applicable: true',
      '    justification:',
      '      risks: ["TODO: a risk id, or replace with treatments: or requirements:"]',
      '    status: planned',
      '    owner: "TODO: who owns this control"',
      '    evidence: []',
    );
  return `${lines.join('\n')}\n`;
}

/**
 * The organisation's Statement of Applicability as the judged revision has it: its own file, or the config's
 * deprecated map. A missing file is no error here: the report says every control is undeclared. `files`, the
 * revision's listing where the caller has it, spares a second walk of the tree to check evidence paths.
 */
export async function loadStatement(
  source: Source,
  policy: Policy,
  files?: readonly string[],
): Promise<Statement> {
  if (policy.applicability)
    return statementFromConfig(policy.configPath ?? 'the config', policy.applicability);
  await prepareSchemas([soaSchema()]);
  const read = await source.read(policy.soaPath, LIMITS.maxFileBytes);
  if ('bytes' in read) {
    const statement = readStatement(policy.soaPath, read.bytes);
    statement.problems.push(...(await missingEvidence(statement, async () => files ?? source.list())));
    statement.problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    return statement;
  }
  const statement = readStatement(policy.soaPath, undefined);
  if ('tooLarge' in read)
    statement.problems.push({
      message: `the Statement of Applicability is ${read.tooLarge} bytes, more than aims-gate reads`,
      fix: 'Keep it to its declarations; put long evidence in the files it references.',
    });
  if ('notFile' in read) statement.problems.push(unreadableFile(read));
  return statement;
}

/**
 * The SoA's evidence that points into the repository, where nothing is there: a path (or glob) an item names,
 * `.github/CODEOWNERS` or `models/*\/governance.yml owners`; an id (ISMS-POL-001) or a link is not checked here.
 */
async function missingEvidence(
  statement: Statement,
  listing: () => Promise<readonly string[]>,
): Promise<SoaProblem[]> {
  const pointers = Object.entries(statement.controls).flatMap(([id, control]) =>
    control.evidence.flatMap((item) => {
      const path = item.trim().split(/\s+/)[0] ?? '';
      return path.includes('/') && !/^[a-z][a-z0-9+.-]*:/i.test(path) ? [{ id, control, item, path }] : [];
    }),
  );
  if (!pointers.length) return [];
  const files = await listing();
  return pointers
    .filter(({ path }) => !files.some((file) => file === path || matches(file, path, { dot: true })))
    .map(({ id, control, item, path }) => ({
      line: control.line,
      message: `${id} cites "${item}" as evidence, but ${path} is not in the repository`,
      fix: `Add ${path}, correct the path, or cite evidence kept elsewhere by its id or link.`,
    }));
}
