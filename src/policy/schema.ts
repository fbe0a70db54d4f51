import { CUSTOM_TYPE, EVENT_TYPES } from '../audit/entry.js';
import { annexA, clauseIds } from '../controls.js';
import { formatNames, OWN_FORMAT } from '../formats/index.js';
import { RULE_KINDS } from '../rules/index.js';
import { DEFAULT_SOA_PATH } from '../soa.js';
import {
  DOCUMENT_KINDS,
  FAIL_ON,
  LIFECYCLE_STATUSES,
  OBJECTIVE_METRICS,
  RISK_TIERS,
  SEVERITIES,
} from '../types.js';

/**
 * The policy-pack and config schemas are built from the rule kinds, so a new kind documents itself.
 * `npm run schemas` writes them to schemas/ for editors; a test keeps those files current.
 */

const RULE_ID = '^[a-z0-9][a-z0-9-]*(\\.[a-z0-9][a-z0-9-]*)*$';

const common = () => ({
  id: { type: 'string', pattern: RULE_ID, description: 'Stable id, e.g. card.intended-use.' },
  title: { type: 'string', minLength: 1 },
  description: { type: 'string' },
  severity: {
    enum: [...SEVERITIES],
    description: 'major nonconformity (blocks), minor nonconformity, or observation.',
  },
  controls: {
    type: 'array',
    uniqueItems: true,
    items: { enum: Object.keys(annexA().controls) },
    description: 'ISO/IEC 42001 Annex A controls this rule evidences.',
  },
  clauses: {
    type: 'array',
    uniqueItems: true,
    items: { enum: clauseIds() },
    description: 'ISO/IEC 42001 management-system clauses this rule evidences.',
  },
  remedy: { type: 'string', minLength: 1, description: 'What the user should write to fix a finding.' },
  when: {
    type: 'object',
    description:
      "JSON Schema over the system's facts {id, path, tier, status, changed, documents}; the rule applies only where it matches.",
  },
});

/** The schema of one rule of one kind: the common keys plus the kind's parameters. */
export function ruleKindSchema(name: string): object {
  const kind = RULE_KINDS.get(name)!;
  return {
    type: 'object',
    description: kind.summary,
    additionalProperties: false,
    required: ['id', 'title', 'kind', 'severity', 'controls', 'remedy', ...(kind.params.required ?? [])],
    properties: { ...common(), kind: { const: kind.kind }, ...kind.params.properties },
    ...(kind.params.anyOf ? { anyOf: kind.params.anyOf } : {}),
  };
}

/** A rule of any kind, for editors: the discriminator picks the kind's schema, so errors speak of that kind. */
function ruleSchema(): object {
  return {
    type: 'object',
    required: ['kind'],
    discriminator: { propertyName: 'kind' },
    oneOf: [...RULE_KINDS.keys()].map(ruleKindSchema),
  };
}

/**
 * What the loader checks a rule against before checking it against its kind's schema. The loader compiles
 * each kind's schema once, for packs and config alike, instead of the whole `oneOf` in every file schema.
 */
export const RULE_ENVELOPE = {
  type: 'object',
  required: ['kind'],
  properties: { kind: { enum: [...RULE_KINDS.keys()] } },
};

export function policySchema(rule: object = ruleSchema()): object {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'aims-gate policy pack',
    type: 'object',
    additionalProperties: false,
    required: ['id', 'title', 'rules'],
    properties: {
      $schema: { type: 'string' },
      id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
      title: { type: 'string' },
      description: { type: 'string' },
      version: { type: 'string' },
      extends: { type: 'string', description: 'A built-in pack, e.g. iso42001-baseline.' },
      rules: { type: 'array', items: { $ref: '#/definitions/rule' } },
    },
    definitions: { rule },
  };
}

const fileNames = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
  ],
  description: 'a file name or a list of file names',
};

const documentNames = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(
    DOCUMENT_KINDS.map((kind) => [
      kind,
      {
        anyOf: [
          fileNames,
          {
            type: 'object',
            additionalProperties: false,
            required: ['path'],
            properties: {
              path: fileNames,
              format: {
                enum: formatNames(kind),
                description: `The format the ${kind} is written in, so it is not guessed from its content: ${OWN_FORMAT} (aims-gate's own) or an importer's.`,
              },
            },
            description: `{ path: file name(s), format: ${formatNames(kind).join(' | ')} }`,
          },
        ],
        description: `File name(s) of the ${kind} inside a system folder (the first that exists is used), or { path, format }.`,
      },
    ]),
  ),
};

export function configSchema(rule: object = ruleSchema()): object {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'aims-gate configuration (.github/aims-gate.yml)',
    type: 'object',
    additionalProperties: false,
    // A config that extends the organisation's may take its systems from there.
    if: { not: { required: ['_extends'] } },
    // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword here.
    then: { required: ['systems'] },
    properties: {
      $schema: { type: 'string' },
      _extends: {
        type: 'string',
        pattern: '^([A-Za-z0-9-]+/)?[A-Za-z0-9._-]+$',
        description:
          "GitHub App and Action: start from .github/aims-gate.yml in this repository of the owner (e.g. .github) or in owner/repo. Objects merge key by key; rules, waivers, approvals and signers add up; the repository's value wins elsewhere.",
      },
      extends: {
        type: 'string',
        minLength: 1,
        description:
          'Policy pack to start from: a built-in name (default iso42001-baseline) or a repository path such as ./policies/org.yml.',
      },
      systems: {
        type: 'array',
        minItems: 1,
        description: 'Where AI systems live: folder globs such as models/*.',
        items: {
          anyOf: [
            { type: 'string', minLength: 1 },
            {
              type: 'object',
              additionalProperties: false,
              required: ['path'],
              properties: {
                path: { type: 'string', minLength: 1 },
                documents: documentNames,
                watch: { type: 'array', items: { type: 'string', minLength: 1 } },
                governance: {
                  type: 'object',
                  additionalProperties: false,
                  description:
                    "The system's governance facts, where its model card (published to the Hub, say) carries none; the card's own, then a governance.yml beside it, come first.",
                  properties: {
                    system: { type: 'string', minLength: 1 },
                    owner: { type: 'string', minLength: 1 },
                    version: { type: 'string', minLength: 1 },
                    status: { enum: [...LIFECYCLE_STATUSES] },
                    tier: { enum: [...RISK_TIERS] },
                  },
                },
              },
            },
          ],
        },
      },
      documents: documentNames,
      watch: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        description:
          'Globs, relative to a system folder, whose change counts as a change to the model (code, weights, training config).',
      },
      rules: {
        type: 'array',
        items: { $ref: '#/definitions/rule' },
        description: 'Rules added to the pack.',
      },
      overrides: {
        type: 'object',
        description: 'Per rule id: a new severity, or disabled with a reason.',
        propertyNames: { pattern: RULE_ID },
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          properties: {
            severity: { enum: [...SEVERITIES] },
            disabled: { const: true },
            reason: { type: 'string', minLength: 1 },
          },
          // A disabled rule must say why: auditors ask.
          if: { required: ['disabled'] },
          // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword here.
          then: { required: ['reason'] },
        },
      },
      waivers: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['rule', 'system', 'reason', 'approver', 'expires'],
          properties: {
            rule: { type: 'string', pattern: RULE_ID },
            system: { type: 'string', minLength: 1, description: 'System id or folder path.' },
            reason: { type: 'string', minLength: 1 },
            approver: { type: 'string', minLength: 1 },
            expires: { type: 'string', format: 'date' },
          },
        },
      },
      'fail-on': {
        enum: [...FAIL_ON],
        description: 'Lowest severity that fails the check (default major).',
      },
      approvals: {
        type: 'array',
        description:
          'Who must approve, by deployment environment and risk tier. Every rule that matches must be satisfied; a group counts distinct approvers other than the author.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['require'],
          properties: {
            environment: {
              type: 'string',
              // No blank at either end, no control or invisible character: GitHub's names are compared trimmed.
              pattern: '^[^\\s\\p{Cc}\\p{Cf}](?:[^\\p{Cc}\\p{Cf}]*[^\\s\\p{Cc}\\p{Cf}])?$',
              description:
                'Deployment environment; absent: every environment and pull requests. A deployment to an environment no rule names is rejected: list one deployed without approvals with require: [].',
            },
            tiers: {
              type: 'array',
              minItems: 1,
              items: { enum: [...RISK_TIERS] },
              description: 'Risk tiers the rule applies to; absent: all.',
            },
            require: {
              type: 'array',
              description:
                'Approval groups, all required. Empty ([]) only with an environment: that environment is deployed without approvals, by decision.',
              items: {
                anyOf: [
                  {
                    type: 'object',
                    additionalProperties: false,
                    required: ['count'],
                    description: '{ count: N } with optional users and teams',
                    properties: {
                      count: { type: 'integer', minimum: 1 },
                      users: {
                        type: 'array',
                        items: { type: 'string', pattern: '^[A-Za-z0-9-]+(\\[bot\\])?$' },
                      },
                      teams: {
                        type: 'array',
                        items: { type: 'string', pattern: '^[A-Za-z0-9-]+/[A-Za-z0-9_.-]+$' },
                        description: 'org/team-slug',
                      },
                    },
                  },
                  {
                    type: 'object',
                    additionalProperties: false,
                    required: ['codeowners'],
                    description: '{ codeowners: true }',
                    properties: {
                      codeowners: {
                        const: true,
                        description:
                          "Every changed path needs an approval from one of its code owners, in the CODEOWNERS file of the pull request's base (of the default branch, for a deployment). Paths no line owns need none, as on GitHub.",
                      },
                    },
                  },
                ],
              },
            },
            'allow-stale': {
              type: 'boolean',
              description: 'Count approvals of earlier commits (default false).',
            },
          },
          // An empty requirement must name its environment: "no approvals anywhere" is no decision.
          if: { properties: { require: { maxItems: 0 } } },
          // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword here.
          then: { required: ['environment'] },
        },
      },
      release: {
        type: 'object',
        additionalProperties: false,
        description:
          "What the deployment gate trusts, read from the default branch's config: the branches a deployed commit must be on, and where history judged before aims-gate began ends.",
        properties: {
          branches: {
            type: 'array',
            minItems: 1,
            items: { type: 'string', minLength: 1, pattern: '^[^\\s~^:?\\\\]+$' },
            description:
              'Release branches, by name or glob such as release/* (default: the default branch). Deployments must come from one of them, through pull requests merged into one of them.',
          },
          baseline: {
            type: 'string',
            pattern: '^[0-9a-f]{7,40}$',
            description:
              'A commit whose history the gate accepts as already judged: the first deployment to an environment is judged from here (otherwise from the start, at most 250 commits).',
          },
        },
      },
      enforce: {
        type: 'object',
        additionalProperties: false,
        description:
          "In the organisation's config (read through _extends): a floor no repository can lower. Enforced rules cannot be disabled, waived or made less severe, and a repository's fail-on cannot be laxer. Approval requirements always add up.",
        properties: {
          rules: {
            anyOf: [
              { const: 'all' },
              { type: 'array', minItems: 1, items: { type: 'string', pattern: RULE_ID } },
            ],
            description: "Rule ids, or all: every rule of the organisation's pack and its own rules.",
          },
          'fail-on': { type: 'boolean', description: "The organisation's fail-on is the laxest allowed." },
        },
      },
      'audit-log': {
        type: 'string',
        pattern: '^(file:.+|branch:[A-Za-z0-9._/-]+|none)$',
        // The branch must be the log's alone: never the default branch, a release branch or a protected one.
        description:
          'Where lifecycle events go: file:PATH (default file:.aims-gate/audit-log.jsonl), branch:NAME (GitHub), or none.',
      },
      audits: {
        type: 'array',
        description:
          'The internal audit programme (ISO/IEC 42001 clause 9.2): each audit with its scope, criteria, planned date and auditor. aims-gate record --type audit.planned / audit.performed --detail audit=ID records it, copying what is planned here; an auditor who owns a system audited is refused. Audits add up across _extends.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'scope', 'criteria', 'planned', 'auditor'],
          properties: {
            id: {
              type: 'string',
              pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
              description: "The audit's id, e.g. IA-2026-2, as entries and reports name it.",
            },
            scope: {
              type: 'object',
              additionalProperties: false,
              minProperties: 1,
              description: 'What is audited: AI systems (ids), Annex A controls, management-system clauses.',
              properties: {
                systems: {
                  type: 'array',
                  minItems: 1,
                  uniqueItems: true,
                  items: { type: 'string', minLength: 1 },
                },
                controls: {
                  type: 'array',
                  minItems: 1,
                  uniqueItems: true,
                  items: { enum: Object.keys(annexA().controls) },
                },
                clauses: {
                  type: 'array',
                  minItems: 1,
                  uniqueItems: true,
                  items: { enum: clauseIds() },
                },
              },
            },
            criteria: {
              type: 'string',
              minLength: 1,
              description:
                'What the audit judges against, e.g. "ISO/IEC 42001:2023 clauses 8 and 9; AI policy v3".',
            },
            planned: {
              type: 'string',
              format: 'date',
              description: 'The day it is planned for (YYYY-MM-DD).',
            },
            auditor: {
              type: 'string',
              minLength: 1,
              description: 'Who audits (a GitHub login): never the owner of a system in scope.',
            },
          },
        },
      },
      objectives: {
        type: 'array',
        description:
          "The AI objectives (ISO/IEC 42001 clause 6.2), each measurable with a target: the auditor's report shows each as met or missed, from figures it computes (metric) or, for metric reviewed, from the latest objective.reviewed entry naming it. Objectives add up across _extends.",
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'title', 'metric', 'target'],
          properties: {
            id: {
              type: 'string',
              pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
              description:
                "The objective's id, e.g. OBJ-1, as reports and objective.reviewed entries name it.",
            },
            title: { type: 'string', minLength: 1, description: 'What the organisation means to achieve.' },
            metric: {
              enum: Object.keys(OBJECTIVE_METRICS),
              description: `How it is measured: ${Object.entries(OBJECTIVE_METRICS)
                .map(([id, words]) => `${id} (${words})`)
                .join('; ')}.`,
            },
            target: {
              anyOf: [
                {
                  type: 'object',
                  additionalProperties: false,
                  required: ['max'],
                  properties: { max: { type: 'number', minimum: 0 } },
                },
                {
                  type: 'object',
                  additionalProperties: false,
                  required: ['min'],
                  properties: { min: { type: 'number', minimum: 0 } },
                },
                { type: 'string', minLength: 1 },
              ],
              description:
                'The target: { max: N } (met at N or below) or { min: N } (met at N or above); for metric reviewed, the target in words.',
            },
            owner: { type: 'string', minLength: 1, description: 'Who is accountable for it.' },
          },
          if: { properties: { metric: { const: 'reviewed' } } },
          // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword here.
          then: { properties: { target: { type: 'string' } } },
          else: { properties: { target: { type: 'object' } } },
        },
      },
      signers: {
        type: 'array',
        description:
          "The keys of trusted writers of the audit log, each with its role: gate (the Action's key), app (the GitHub App's), person (someone who signs what they record). Entries the gate writes (deployment and approval decisions, its evaluations) count only when signed by a gate or app key listed here. Keep a rotated key listed, with until, so that its entries stay verifiable. Signers add up across _extends.",
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['key', 'role'],
          properties: {
            key: {
              type: 'string',
              pattern: '^ssh-ed25519 [A-Za-z0-9+/]+={0,2}( .*)?$',
              description:
                'The public key, "ssh-ed25519 AAAA… [comment]" (aims-gate keygen prints it; a person\'s is their .pub file).',
            },
            role: { enum: ['gate', 'app', 'person'] },
            name: { type: 'string', minLength: 1, description: 'Whose key it is, as reports show it.' },
            until: {
              type: 'string',
              pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z)?$',
              description:
                'Rotated out: entries signed with this key and dated after this day (UTC, through its end) or time are not trusted.',
            },
          },
        },
      },
      'timestamp-authority': {
        type: 'string',
        pattern: '^https?://[^\\s]+$',
        description:
          "The RFC 3161 timestamp authority (its URL) that `aims-gate anchor` asks to timestamp the audit log's checkpoints, so that they can be verified without trusting whoever writes the log.",
      },
      app: {
        type: 'object',
        additionalProperties: false,
        description:
          "GitHub App settings, read from the organisation's .github repository (.github/aims-gate.yml there).",
        properties: {
          'without-config': {
            enum: ['neutral', 'skip', 'org-defaults'],
            description:
              'What a repository without its own .github/aims-gate.yml gets: a neutral check that says how to start (default), no check, or a check by this configuration.',
          },
          'audit-repository': {
            type: 'string',
            pattern: '^[A-Za-z0-9._-]+$',
            description:
              "A repository of the organisation that keeps every repository's audit log: one branch, one file and one chain per source repository.",
          },
        },
      },
      'statement-of-applicability': {
        anyOf: [
          {
            type: 'string',
            pattern: '^[^/.][^:]*.ya?ml$',
            description: `Where the organisation's Statement of Applicability is, from the repository's root (default ${DEFAULT_SOA_PATH}): a YAML file per schemas/statement-of-applicability.schema.json.`,
          },
          legacySoa(),
        ],
      },
    },
    definitions: { rule },
  };
}

function legacySoa() {
  return {
    type: 'object',
    deprecated: true,
    description:
      'Deprecated: the Statement of Applicability as a map in the config. Move it to its own file (a path here; aims-gate init --soa writes one).',
    propertyNames: { enum: Object.keys(annexA().controls) },
    additionalProperties: {
      type: 'object',
      additionalProperties: false,
      required: ['applicable', 'justification'],
      properties: {
        applicable: { type: 'boolean' },
        justification: { type: 'string', minLength: 1 },
        evidence: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          description: 'Documents or links that evidence the control.',
        },
        events: {
          type: 'array',
          uniqueItems: true,
          items: {
            anyOf: [
              { enum: Object.keys(EVENT_TYPES) },
              {
                type: 'string',
                pattern: CUSTOM_TYPE.source,
                description: 'custom.<name> (lower case, digits, dashes)',
              },
            ],
          },
          description:
            'Audit-log event types whose entries evidence the control, e.g. [custom.fairness-review]: the report cites their sequence numbers, or says none was recorded.',
        },
      },
    },
  };
}
