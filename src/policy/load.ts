import type { ApprovalRule } from '../approvals.js';
import { readYamlAsset } from '../assets.js';
import { parsePublicKey, type TrustedKey } from '../audit/signature.js';
import type { Governance } from '../documents/types.js';
import { ConfigError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { decodeText, unreadableFile } from '../parse/text.js';
import { type ParsedData, parseData } from '../parse/yaml.js';
import type { RuleDefinition } from '../rules/index.js';
import { compileSchema, prepareSchemas, schemaProblem, validateData } from '../schema.js';
import { DEFAULT_SOA_PATH } from '../soa.js';
import type { Source } from '../source.js';
import { closest } from '../spelling.js';
import {
  type DocumentKind,
  type Objective,
  type PlannedAudit,
  SEVERITIES,
  type Severity,
  type Waiver,
} from '../types.js';

export type { PlannedAudit } from '../types.js';

import type { DeclaredFormat } from '../formats/index.js';
import { configSchema, policySchema, RULE_ENVELOPE, ruleKindSchema } from './schema.js';
import { simpleCondition } from './when.js';

export const CONFIG_PATH = '.github/aims-gate.yml';
export const DEFAULT_PACK = 'iso42001-baseline';

export interface SystemPattern {
  path: string;
  documents: Record<DocumentKind, string[]>;
  /** The formats the config names (`documents: { kind: { path, format } }`): these are not guessed. */
  formats?: Partial<Record<DocumentKind, DeclaredFormat>>;
  watch: string[];
  /** Governance facts the config states for the systems of this entry. */
  governance?: Governance;
}

/** Everything an evaluation needs from configuration and policy, resolved and checked. */
export interface Policy {
  /** The pack chain, outermost last, e.g. ["iso42001-baseline", ".github/aims-gate.yml"]. */
  packs: string[];
  configPath?: string;
  rules: RuleDefinition[];
  disabled: { id: string; reason: string }[];
  systems: SystemPattern[];
  waivers: Waiver[];
  failOn: Severity | 'never';
  /** `file:PATH`, `branch:NAME` or `none`. */
  auditLog: string;
  /** The RFC 3161 timestamp authority that anchors the log's checkpoints. */
  timestampAuthority?: string;
  /** Where the organisation's Statement of Applicability is (a path from the repository's root). */
  soaPath: string;
  /** The deprecated config map of the SoA, when the config still has one (read as the declaration). */
  applicability?: Record<string, Applicability>;
  approvals: ApprovalRule[];
  /** The keys of trusted writers of the audit log (`signers`), the organisation's and the repository's. */
  signers: TrustedKey[];
  /**
   * The organisation's keys alone (its config under `_extends`): listed where a repository's writers cannot
   * list their own, so an entry they sign can vouch for the repository's config (src/deployment.ts).
   */
  floorSigners: TrustedKey[];
  /** What `_extends` named, where it was read: floorSigners anchor only when it is the owner's `.github`. */
  extended?: string;
  /** The internal audit programme (clause 9.2), the organisation's and the repository's. */
  audits: PlannedAudit[];
  /** The AI objectives with their targets (clause 6.2), the organisation's and the repository's. */
  objectives: Objective[];
  /** GitHub App settings (meaningful in the organisation's .github repository). */
  app: AppSettings;
  /** What the deployment gate trusts (meaningful in the default branch's config). */
  release: ReleaseSettings;
  /** The organisation's enforced fail-on: no input or config may be laxer. */
  failOnFloor?: Severity | 'never';
  /** What the evaluation should tell the user about its configuration. */
  notices: string[];
}

export interface PolicyOptions {
  /** Where `_extends: NAME` is read (the GitHub App and Action); without it, `_extends` is left out with a notice. */
  extendsFrom?: (target: string) => Source;
}

/** A config file and where it is, for messages: the organisation's under `_extends`, then the repository's. */
interface Layer {
  data: ParsedData;
  path: string;
}

/** Lists that add up across `_extends`: an organisation's rules, waivers, approvals, signers, audits and objectives stay a floor. */
const ADDITIVE = new Set(['rules', 'waivers', 'approvals', 'signers', 'audits', 'objectives']);

/** Merges configs, outermost first: objects key by key, ADDITIVE lists concatenated, otherwise the last wins. */
function mergeConfigs(configs: Record<string, unknown>[]): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const config of configs) {
    for (const [key, value] of Object.entries(config)) {
      const before = merged[key];
      if (ADDITIVE.has(key)) merged[key] = [...((before as unknown[]) ?? []), ...(value as unknown[])];
      else if (isObject(value) && isObject(before)) merged[key] = { ...before, ...value };
      else merged[key] = value;
    }
  }
  delete merged._extends;
  return merged;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The file and line that define the value at `pointer`: the innermost layer that has it. */
function locate(layers: Layer[], pointer: (string | number)[]): { path: string; line?: number } {
  for (const layer of [...layers].reverse()) {
    let value: unknown = layer.data.value;
    for (const key of pointer) value = isObject(value) ? value[key as string] : undefined;
    if (value !== undefined) return { path: layer.path, line: layer.data.locate(pointer).line };
  }
  return { path: layers.at(-1)?.path ?? CONFIG_PATH };
}

export interface ReleaseSettings {
  /** Names or globs; absent: the repository's default branch. */
  branches?: string[];
  baseline?: string;
}

/** The organisation's floor, from its config under `_extends`. */
interface Enforce {
  rules?: 'all' | string[];
  'fail-on'?: boolean;
}

/** Strictest first: a fail-on of `minor` fails on more than `major`, and `never` fails on nothing. */
const FAIL_ON_STRICTNESS: (Severity | 'never')[] = ['observation', 'minor', 'major', 'never'];

/** Whether a fail-on `value` lets through more than `floor` does. */
export function laxer(value: Severity | 'never', floor: Severity | 'never'): boolean {
  return FAIL_ON_STRICTNESS.indexOf(value) > FAIL_ON_STRICTNESS.indexOf(floor);
}

/**
 * The repository's layer with every attempt to go below the organisation's floor taken out, each one
 * reported: overrides that disable or soften an enforced rule, waivers of one, a laxer fail-on.
 */
function belowFloor(
  repo: Layer,
  org: Layer,
  enforced: (id: string) => boolean,
  severityOf: (id: string) => Severity | undefined,
): { config: Record<string, unknown>; notices: string[] } {
  const config = { ...(repo.data.value as Record<string, unknown>) };
  const enforce = (org.data.value as { enforce?: Enforce }).enforce ?? {};
  const notices: string[] = [];
  const refused = (pointer: (string | number)[], what: string) =>
    notices.push(
      `${repo.path}:${repo.data.locate(pointer).line ?? 1}: ${what} is below the organisation's floor (${org.path} enforces it); it was not applied.`,
    );
  const overrides = config.overrides as Record<string, { severity?: Severity; disabled?: true }> | undefined;
  if (overrides) {
    config.overrides = Object.fromEntries(
      Object.entries(overrides).filter(([id, o]) => {
        if (!enforced(id)) return true;
        const before = severityOf(id);
        if (o.disabled) refused(['overrides', id], `disabling enforced rule ${id}`);
        else if (o.severity && before && SEVERITIES.indexOf(o.severity) > SEVERITIES.indexOf(before))
          refused(['overrides', id], `lowering enforced rule ${id} from ${before} to ${o.severity}`);
        else return true;
        return false;
      }),
    );
  }
  const waivers = config.waivers as Waiver[] | undefined;
  if (waivers) {
    config.waivers = waivers.filter((w, i) => {
      if (enforced(w.rule)) refused(['waivers', i], `a waiver of enforced rule ${w.rule} for ${w.system}`);
      return !enforced(w.rule);
    });
  }
  const orgFailOn = ((org.data.value as Record<string, unknown>)['fail-on'] as Severity | 'never') ?? 'major';
  const failOn = config['fail-on'] as Severity | 'never' | undefined;
  if (enforce['fail-on'] && failOn && laxer(failOn, orgFailOn)) {
    refused(['fail-on'], `fail-on: ${failOn}`);
    delete config['fail-on'];
  }
  return { config, notices };
}

export interface AppSettings {
  'without-config'?: 'neutral' | 'skip' | 'org-defaults';
  'audit-repository'?: string;
}

/**
 * The SoA is a file the organisation owns (a path, or the default). The config map it once was still reads,
 * as the organisation's declaration, with a notice to move it: its free-text justifications name no risk,
 * treatment or requirement, and the report says so.
 */
function soaOf(
  value: unknown,
  configPath: string,
  notices: string[],
): Pick<Policy, 'soaPath' | 'applicability'> {
  if (typeof value === 'string') return { soaPath: trimSlashes(value) };
  if (value && typeof value === 'object') {
    notices.push(
      `The statement-of-applicability map in ${configPath} is deprecated: move it to ${DEFAULT_SOA_PATH} (aims-gate init --soa writes one with every control) and give each control its risk, treatment or requirement.`,
    );
    return { soaPath: DEFAULT_SOA_PATH, applicability: value as Record<string, Applicability> };
  }
  return { soaPath: DEFAULT_SOA_PATH };
}

/** A control's entry in the deprecated config map of the Statement of Applicability. */
export interface Applicability {
  applicable: boolean;
  justification: string;
  evidence?: string[];
  /** Audit-log event types whose entries evidence the control (e.g. custom.fairness-review). */
  events?: string[];
}

export const DEFAULT_AUDIT_LOG = 'file:.aims-gate/audit-log.jsonl';

export const DEFAULT_DOCUMENTS: Record<DocumentKind, string[]> = {
  'model-card': [
    'MODEL_CARD.md',
    'model-card.md',
    'model_card.md',
    'model-card.yml',
    'model-card.yaml',
    'model-card.json',
    'README.md',
  ],
  'risk-assessment': ['risk-assessment.yml', 'risk-assessment.yaml', 'risk-assessment.json'],
  'impact-assessment': ['impact-assessment.yml', 'impact-assessment.yaml', 'impact-assessment.json'],
};

export const DEFAULT_WATCH = [
  '**/*.py',
  '**/*.ipynb',
  '**/*.{pt,pth,onnx,safetensors,pkl,joblib,h5,ckpt}',
  '**/{train,training,config,params}*.{yml,yaml,json,toml}',
];

/** Reads a YAML file from a source, or throws a ConfigError that names the file and line. */
async function readYaml(source: Source, path: string, label = path): Promise<ParsedData | undefined> {
  const read = await source.read(path, LIMITS.maxFileBytes);
  if ('missing' in read) return undefined;
  const decoded = 'bytes' in read ? decodeText(read.bytes) : { problem: unreadableFile(read) };
  if ('problem' in decoded)
    throw new ConfigError(label, undefined, decoded.problem.message, decoded.problem.fix);
  const parsed = parseData(decoded.text);
  if ('problem' in parsed)
    throw new ConfigError(label, parsed.problem.line, parsed.problem.message, parsed.problem.fix);
  // An empty file (or only comments) says nothing: read as an empty mapping, which the schema then judges.
  if (parsed.data.value === null || parsed.data.value === undefined) return { ...parsed.data, value: {} };
  return parsed.data;
}

/** Checks a config or pack: its shape first, then each rule against the schema of its kind. */
async function checkAgainst(schema: object, data: ParsedData, path: string): Promise<void> {
  await prepareSchemas([schema]);
  const problems = validateData(compileSchema(schema), data, { limit: 20 });
  // Each rule against its kind's schema, where the file's shape let it be read as a list of rules.
  const rules = (data.value as { rules?: unknown }).rules;
  if (problems.length === 0 && Array.isArray(rules)) {
    const kinds = (rules as { kind: string }[]).map((rule) => kindSchema(rule.kind));
    await prepareSchemas(kinds);
    for (const [i, schema] of kinds.entries())
      problems.push(...validateData(compileSchema(schema), data, { at: ['rules', i], limit: 5 }));
    // The rules' own schemas are compiled as they are added (addRule), which cannot wait for Ajv to load.
    await prepareSchemas(
      (rules as { when?: unknown; schema?: unknown }[]).flatMap((rule) => [
        simpleCondition(rule.when) ? undefined : rule.when,
        rule.schema,
      ]),
    );
  }
  if (problems.length) throw ConfigError.all(path, problems);
}

/** Checks a policy pack's shape and each of its rules. */
export function checkPack(data: ParsedData, path: string): Promise<void> {
  return checkAgainst(policySchema(RULE_ENVELOPE), data, path);
}

const kindSchemas = new Map<string, object>();

/** A rule kind's schema, the same object each time, so its validator is found without serialising it. */
function kindSchema(kind: string): object {
  let schema = kindSchemas.get(kind);
  if (!schema) {
    schema = ruleKindSchema(kind);
    kindSchemas.set(kind, schema);
  }
  return schema;
}

/**
 * Loads `.github/aims-gate.yml` and the packs it extends from `source` (the BASE revision, for a change),
 * so that a change cannot loosen the policy that judges it. A repository without a config gets the
 * baseline pack and one system pattern, `models/*`.
 */
export async function loadPolicy(
  source: Source,
  configPath = CONFIG_PATH,
  { extendsFrom }: PolicyOptions = {},
): Promise<Policy> {
  const data = await readYaml(source, configPath);
  if (data === undefined && configPath !== CONFIG_PATH) {
    throw new ConfigError(
      configPath,
      undefined,
      `no configuration file at ${configPath} in ${source.label}`,
      'Check the --config path.',
    );
  }
  if (data) await checkAgainst(configSchema(RULE_ENVELOPE), data, configPath);
  const layers: Layer[] = data ? [{ data, path: configPath }] : [];
  const notices: string[] = [];
  const target = (data?.value as { _extends?: string } | undefined)?._extends;
  if (target && !extendsFrom) {
    notices.push(
      `${configPath} extends ${target}, which only the GitHub App and Action read: its settings were left out here${(data?.value as { systems?: unknown } | undefined)?.systems ? '' : ', and systems default to models/*'}.`,
    );
  } else if (target && extendsFrom) {
    const label = `${target}:${CONFIG_PATH}`;
    const org = await readYaml(extendsFrom(target), CONFIG_PATH, label);
    if (!org) {
      throw new ConfigError(
        configPath,
        data!.locate(['_extends']).line,
        `_extends names ${target}, which has no ${CONFIG_PATH} on its default branch`,
        `Create ${CONFIG_PATH} in ${target}, or remove _extends.`,
      );
    }
    await checkAgainst(configSchema(RULE_ENVELOPE), org, label);
    layers.unshift({ data: org, path: label });
  }
  for (const layer of layers) checkSigners(layer);
  const org = layers.length > 1 ? layers[0]! : undefined;
  const enforce = (org?.data.value as { enforce?: Enforce } | undefined)?.enforce;
  const packs: string[] = [];
  const rules = new Map<string, RuleDefinition>();
  const orgPack = (org?.data.value as { extends?: string } | undefined)?.extends ?? DEFAULT_PACK;
  // The organisation's rules are known before the repository's layer is judged against its floor.
  const floorRules = new Map<string, RuleDefinition>();
  if (enforce?.rules) {
    await addPack(source, orgPack, floorRules, [], 0);
    for (const [i, raw] of ((org!.data.value as { rules?: object[] }).rules ?? []).entries())
      addRule(floorRules, raw, { path: org!.path, line: org!.data.locate(['rules', i]).line });
  }
  const enforced = (id: string) =>
    enforce?.rules === 'all' ? floorRules.has(id) : (enforce?.rules?.includes(id) ?? false);
  let repoConfig = layers.at(-1)?.data.value as Record<string, unknown> | undefined;
  if (org && enforce) {
    const floor = belowFloor(layers.at(-1)!, org, enforced, (id) => floorRules.get(id)?.severity);
    repoConfig = floor.config;
    notices.push(...floor.notices);
  }
  const config = layers.length
    ? mergeConfigs([...layers.slice(0, -1).map((l) => l.data.value as Record<string, unknown>), repoConfig!])
    : { systems: ['models/*'] };
  // Locally, a config that takes its systems from the organisation's falls back to the default folders.
  if (!config.systems && target && !extendsFrom) config.systems = ['models/*'];
  if (!config.systems) {
    throw new ConfigError(
      configPath,
      1,
      `no systems: neither ${configPath} nor ${target} says where AI systems live`,
      'Add systems, e.g. systems: [models/*].',
    );
  }

  const pack = (config.extends as string | undefined) ?? DEFAULT_PACK;
  await addPack(source, pack, rules, packs, 0);
  const dropped = enforce?.rules
    ? [...(enforce.rules === 'all' ? floorRules.keys() : enforce.rules)].filter(
        (id) => !rules.has(id) && !isLayerRule(layers, id),
      )
    : [];
  if (dropped.length && pack !== orgPack) {
    // A pack that leaves out enforced rules cannot replace the organisation's.
    notices.push(
      `${configPath}: extends ${pack} leaves out the enforced rules ${dropped.slice(0, 4).join(', ')}${dropped.length > 4 ? ` and ${dropped.length - 4} more` : ''}; the organisation's pack ${orgPack} applies instead.`,
    );
    rules.clear();
    packs.length = 0;
    await addPack(source, orgPack, rules, packs, 0);
  }

  for (const layer of layers) {
    const raws = ((layer.data.value as { rules?: object[] }).rules ?? []).entries();
    for (const [i, raw] of raws)
      addRule(rules, raw, { path: layer.path, line: layer.data.locate(['rules', i]).line });
    packs.push(layer.path);
  }

  const disabled: Policy['disabled'] = [];
  const overrides = (config.overrides ?? {}) as Record<
    string,
    { severity?: Severity; disabled?: true; reason?: string }
  >;
  for (const [id, override] of Object.entries(overrides)) {
    const rule = rules.get(id);
    if (!rule) {
      const near = closest(id, [...rules.keys()]);
      const where = locate(layers, ['overrides', id]);
      throw new ConfigError(
        where.path,
        where.line,
        `overrides name rule "${id}", which no pack defines`,
        near ? `Did you mean "${near}"?` : 'Run `aims-gate explain` to list the rule ids.',
      );
    }
    if (override.disabled) {
      rules.delete(id);
      disabled.push({ id, reason: override.reason ?? '' });
    } else if (override.severity) {
      rule.severity = override.severity;
    }
  }

  const documents = { ...DEFAULT_DOCUMENTS, ...namesOf(config.documents) };
  const formats = formatsOf(layers, ['documents'], config.documents);
  const watch = (config.watch as string[] | undefined) ?? DEFAULT_WATCH;
  const systems = (
    config.systems as (
      | string
      | { path: string; documents?: unknown; watch?: string[]; governance?: Governance }
    )[]
  ).map((entry, i): SystemPattern => {
    if (typeof entry === 'string') return { path: trimSlashes(entry), documents, watch, formats };
    // An entry's own document names replace the top level's, and with them the format named there.
    const own = namesOf(entry.documents);
    const inherited = Object.fromEntries(
      Object.entries(formats).filter(([kind]) => !(kind in own)),
    ) as SystemPattern['formats'];
    return {
      path: trimSlashes(entry.path),
      documents: { ...documents, ...own },
      formats: { ...inherited, ...formatsOf(layers, ['systems', i, 'documents'], entry.documents) },
      watch: entry.watch ?? watch,
      ...(entry.governance ? { governance: entry.governance } : {}),
    };
  });

  return {
    packs,
    configPath: data ? configPath : undefined,
    notices,
    rules: [...rules.values()],
    disabled,
    systems,
    waivers: (config.waivers as Waiver[] | undefined) ?? [],
    failOn: (config['fail-on'] as Policy['failOn'] | undefined) ?? 'major',
    auditLog: (config['audit-log'] as string | undefined) ?? DEFAULT_AUDIT_LOG,
    ...(config['timestamp-authority'] ? { timestampAuthority: config['timestamp-authority'] as string } : {}),
    ...soaOf(config['statement-of-applicability'], configPath, notices),
    approvals: (config.approvals as ApprovalRule[] | undefined) ?? [],
    signers: (config.signers as TrustedKey[] | undefined) ?? [],
    floorSigners: (org?.data.value as { signers?: TrustedKey[] } | undefined)?.signers ?? [],
    ...(org && target ? { extended: target } : {}),
    audits: uniqueIds(layers, 'audits', (config.audits as PlannedAudit[] | undefined) ?? []),
    objectives: uniqueIds(layers, 'objectives', (config.objectives as Objective[] | undefined) ?? []),
    app: (config.app as AppSettings | undefined) ?? {},
    release: (config.release as ReleaseSettings | undefined) ?? {},
    ...(enforce?.['fail-on']
      ? { failOnFloor: ((org!.data.value as Record<string, unknown>)['fail-on'] as Severity) ?? 'major' }
      : {}),
  };
}

/** An id names one audit, one objective: a second one of the same id (here or across _extends) is a config error. */
function uniqueIds<T extends { id: string }>(layers: Layer[], key: 'audits' | 'objectives', items: T[]): T[] {
  const seen = new Set<string>();
  const what = key === 'audits' ? 'audit' : 'objective';
  for (const [i, item] of items.entries()) {
    if (seen.has(item.id)) {
      const at = locate(layers, [key, i, 'id']);
      throw new ConfigError(
        at.path,
        at.line,
        `${key}[${i}]: a second ${what} with id ${item.id}`,
        `give each ${what} its own id`,
      );
    }
    seen.add(item.id);
  }
  return items;
}

/** Each signer's key must be one: a damaged key is a config error at its line, not an entry that never verifies. */
function checkSigners(layer: Layer): void {
  const signers = (layer.data.value as { signers?: TrustedKey[] }).signers ?? [];
  for (const [i, signer] of signers.entries()) {
    try {
      parsePublicKey(signer.key);
    } catch (error) {
      throw new ConfigError(
        layer.path,
        layer.data.locate(['signers', i, 'key']).line,
        `signers[${i}]: ${(error as Error).message}`,
        'Paste the whole public line, as aims-gate keygen prints it or a .pub file holds it: ssh-ed25519 AAAA… [comment].',
      );
    }
  }
}

function isLayerRule(layers: Layer[], id: string): boolean {
  return layers.some((l) =>
    ((l.data.value as { rules?: { id: string }[] }).rules ?? []).some((r) => r.id === id),
  );
}

async function addPack(
  source: Source,
  name: string,
  rules: Map<string, RuleDefinition>,
  packs: string[],
  depth: number,
): Promise<void> {
  if (depth >= LIMITS.maxExtendsDepth) {
    throw new ConfigError(
      name,
      undefined,
      `policy packs extend each other more than ${LIMITS.maxExtendsDepth} levels deep`,
      'Flatten the chain of `extends`.',
    );
  }
  const builtin = /^[a-z0-9][a-z0-9-]*$/.test(name);
  const path = builtin ? `policies/${name}.yml` : name.replace(/^\.\//, '');
  let data: ParsedData | undefined;
  let checked = false;
  if (builtin) {
    const parsed = (() => {
      try {
        return readYamlAsset(path);
      } catch {
        throw new ConfigError(
          CONFIG_PATH,
          undefined,
          `there is no built-in policy pack "${name}"`,
          `Use "extends: ${DEFAULT_PACK}", or a repository path such as ./policies/org.yml.`,
        );
      }
    })();
    if ('problem' in parsed)
      throw new ConfigError(path, parsed.problem.line, parsed.problem.message, parsed.problem.fix);
    data = parsed.data;
    checked = parsed.precompiled === true;
  } else {
    data = await readYaml(source, path);
    if (!data)
      throw new ConfigError(
        path,
        undefined,
        `the policy pack ${path} does not exist in ${source.label}`,
        'Check the `extends` path: it is relative to the repository root.',
      );
  }
  // The text of a built-in pack that `npm run schemas` stored parsed was checked there, against these schemas
  // (test/generated.test.ts keeps it current): checking it again cost a check of the example 4% of its work,
  // nine rule kinds' validators compiled and run.
  if (!checked) await checkPack(data, path);
  const pack = data.value as { extends?: string; rules: object[] };
  if (pack.extends) await addPack(source, pack.extends, rules, packs, depth + 1);
  for (const [i, raw] of pack.rules.entries())
    addRule(rules, raw, { path, line: data.locate(['rules', i]).line });
  packs.push(builtin ? name : path);
}

function addRule(rules: Map<string, RuleDefinition>, raw: object, origin: RuleDefinition['origin']): void {
  const rule = { ...raw, origin } as RuleDefinition;
  if (rules.has(rule.id)) {
    throw new ConfigError(
      origin.path,
      origin.line,
      `rule "${rule.id}" is already defined by ${rules.get(rule.id)!.origin.path}`,
      'Give the new rule its own id, or change the existing one under `overrides`.',
    );
  }
  for (const key of ['when', 'schema'] as const) {
    const problem =
      rule[key] === undefined || (key === 'when' && simpleCondition(rule.when))
        ? undefined
        : schemaProblem(rule[key]);
    if (problem) {
      throw new ConfigError(
        origin.path,
        origin.line,
        `rule "${rule.id}": its \`${key}\` is not a valid JSON Schema (${problem})`,
        'Write a JSON Schema (draft-07) fragment, e.g. { required: [license] }.',
      );
    }
  }
  if (rule.controls.length === 0 && !rule.clauses?.length) {
    throw new ConfigError(
      origin.path,
      origin.line,
      `rule "${rule.id}" cites no ISO/IEC 42001 control or clause`,
      'Add the Annex A controls it evidences under `controls`, e.g. [A.6.2.7].',
    );
  }
  rules.set(rule.id, rule);
}

type DocumentEntry = string | string[] | { path: string | string[]; format?: string };

function namesOf(value: unknown): Partial<Record<DocumentKind, string[]>> {
  return Object.fromEntries(
    Object.entries((value ?? {}) as Record<string, DocumentEntry>).map(([k, v]) => {
      const names = typeof v === 'object' && !Array.isArray(v) ? v.path : v;
      return [k, typeof names === 'string' ? [names] : names];
    }),
  );
}

/** The formats a `documents:` mapping names, each with the config line that names it. */
function formatsOf(
  layers: Layer[],
  at: (string | number)[],
  value: unknown,
): Partial<Record<DocumentKind, DeclaredFormat>> {
  const formats: Partial<Record<DocumentKind, DeclaredFormat>> = {};
  for (const [kind, entry] of Object.entries((value ?? {}) as Record<string, DocumentEntry>)) {
    if (typeof entry !== 'object' || Array.isArray(entry) || !entry.format) continue;
    const where = locate(layers, [...at, kind, 'format']);
    formats[kind as DocumentKind] = { id: entry.format, at: `${where.path}:${where.line ?? 1}` };
  }
  return formats;
}

function trimSlashes(path: string): string {
  return path.replace(/^\.?\/+/, '').replace(/\/+$/, '') || '.';
}
