import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readAsset } from '../src/assets.js';
import { ConfigError } from '../src/errors.js';
import { loadPolicy } from '../src/policy/load.js';
import { configSchema, policySchema } from '../src/policy/schema.js';
import { MemorySource } from '../src/source.js';
import { conformantRepo, edit, findingsOf, run } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');

async function configError(config: string, extra: Record<string, string> = {}): Promise<ConfigError> {
  const error = await loadPolicy(new MemorySource({ '.github/aims-gate.yml': config, ...extra })).catch(
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

/** The conformant repository, its config given more than its systems. */
const withConfig = (more: string) =>
  edit(conformantRepo(), '.github/aims-gate.yml', 'systems: [models/*]\n', `systems: [models/*]\n${more}`);

describe('the ISO/IEC 42001 baseline pack', () => {
  const annex = parse(readAsset('reference/iso42001-annex-a.yml')) as {
    controls: Record<string, string>;
    objectives: Record<string, string>;
  };
  const pack = parse(readAsset('policies/iso42001-baseline.yml')) as {
    rules: { id: string; controls: string[]; remedy: string }[];
  };

  it('uses the reference numbering: 38 controls, A.2.2 to A.10.4, as in ../shared', () => {
    expect(Object.keys(annex.controls)).toHaveLength(38);
    expect(Object.keys(annex.controls).at(0)).toBe('A.2.2');
    expect(Object.keys(annex.controls).at(-1)).toBe('A.10.4');
    expect(annex.objectives).toMatchObject({
      'A.6.1': 'Management guidance for AI system development',
      'A.6.2': 'AI system life cycle',
    });
    const shared = join(ROOT, '..', 'shared', 'reference', 'iso42001-annex-a.yml');
    let sharedText: string | undefined;
    try {
      sharedText = readFileSync(shared, 'utf8');
    } catch {
      // The shared reference sits beside the repository in CI and development; a published package has only its copy.
    }
    if (sharedText !== undefined)
      expect(parse(sharedText)).toEqual(parse(readAsset('reference/iso42001-annex-a.yml')));
  });

  it('lists every clause 4.1 to 10.2, with the subclauses, and each clause the shared reference names', () => {
    const { clauses } = parse(readAsset('reference/iso42001-clauses.yml')) as {
      clauses: Record<string, string>;
    };
    const ids = Object.keys(clauses);
    expect(ids.filter((id) => id.split('.').length === 2)).toEqual([
      ...['4.1', '4.2', '4.3', '4.4', '5.1', '5.2', '5.3', '6.1', '6.2', '6.3'],
      ...['7.1', '7.2', '7.3', '7.4', '7.5', '8.1', '8.2', '8.3', '8.4', '9.1', '9.2', '9.3', '10.1', '10.2'],
    ]);
    expect(clauses).toMatchObject({
      '6.1.3': 'AI risk treatment',
      '9.2.2': 'Internal audit programme',
      '9.3': 'Management review',
      '10.1': 'Continual improvement',
      '10.2': 'Nonconformity and corrective action',
    });
    // A subclause follows its clause, as in the standard's table of contents.
    for (const id of ids.filter((i) => i.split('.').length === 3))
      expect(ids.indexOf(id), id).toBeGreaterThan(ids.indexOf(id.split('.').slice(0, 2).join('.')));
    const shared = parse(readAsset('reference/iso42001-annex-a.yml')) as { clauses: Record<string, string> };
    for (const id of Object.keys(shared.clauses)) expect(ids, id).toContain(id);
  });

  it('has rules that each cite real Annex A controls and carry a remedy', () => {
    expect(pack.rules.length).toBeGreaterThan(30);
    for (const rule of pack.rules) {
      expect(rule.controls.length, rule.id).toBeGreaterThan(0);
      for (const control of rule.controls)
        expect(annex.controls, `${rule.id} cites ${control}`).toHaveProperty([control]);
      expect(rule.remedy.length, rule.id).toBeGreaterThan(20);
    }
  });

  it('is what loadPolicy uses when a repository has no config', async () => {
    const policy = await loadPolicy(new MemorySource({}));
    expect(policy.packs).toEqual(['iso42001-baseline']);
    expect(policy.rules.map((r) => r.id)).toEqual(pack.rules.map((r) => r.id));
    expect(policy.systems.map((s) => s.path)).toEqual(['models/*']);
  });
});

describe('published schemas', () => {
  it('are current with the rule kinds (run `npm run schemas` after changing one)', () => {
    expect(JSON.parse(readAsset('schemas/policy.schema.json'))).toEqual(policySchema());
    expect(JSON.parse(readAsset('schemas/config.schema.json'))).toEqual(configSchema());
  });
});

describe('configuration errors name the file, the line and the fix', () => {
  it('a config that fails its schema', async () => {
    const error = await configError('systems: [models/*]\nfail-on: sometimes\n');
    expect(error).toMatchObject({
      path: '.github/aims-gate.yml',
      line: 2,
      message: 'fail-on must be one of: major, minor, never',
    });
  });

  it('a signer whose key is not an ssh-ed25519 public key, or is damaged', async () => {
    const rsa = await configError(
      'systems: [models/*]\nsigners:\n  - role: gate\n    key: ssh-rsa AAAAB3NzaC1yc2E\n',
    );
    expect(rsa).toMatchObject({ path: '.github/aims-gate.yml', line: 4 });
    const damaged = await configError(
      'systems: [models/*]\nsigners:\n  - role: gate\n    key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA\n',
    );
    expect(damaged).toMatchObject({ path: '.github/aims-gate.yml', line: 4 });
    expect(damaged.message).toContain('signers[0]: the ssh-ed25519 key is damaged');
    expect(damaged.fix).toContain('ssh-ed25519 AAAA');
  });

  it('an unknown top-level key, with the key that was meant', async () => {
    const error = await configError('systems: [models/*]\nwaviers: []\n');
    expect(error).toMatchObject({
      line: 2,
      message: 'unknown key "waviers" in the document',
      fix: expect.stringContaining('"waivers"'),
    });
  });

  it('malformed YAML, on the line that has it (not the empty line after a one-line file)', async () => {
    expect(await configError('systems: [models/*\n')).toMatchObject({
      line: 1,
      message: expect.stringMatching(/^invalid YAML/),
    });
  });

  it('a rule that cites a control that does not exist (a wrongly numbered one)', async () => {
    const error = await configError(`systems: [models/*]
rules:
  - id: custom.x
    title: X
    kind: required-document
    document: model-card
    severity: minor
    controls: [A.6.1]
    remedy: Add it.
`);
    expect(error).toMatchObject({
      line: 8,
      message: expect.stringContaining('rules[0].controls[0] must be one of: A.2.2'),
    });
  });

  it('a statement-of-applicability entry naming a log event type that does not exist', async () => {
    const error = await configError(`systems: [models/*]
statement-of-applicability:
  A.9.3: { applicable: true, justification: Reviewed., events: [fairness-review] }
`);
    expect(error).toMatchObject({ line: 3, message: expect.stringContaining('events[0]') });
    const config = `systems: [models/*]
statement-of-applicability:
  A.9.3: { applicable: true, justification: Reviewed., events: [custom.fairness-review, incident] }
`;
    const policy = await loadPolicy(new MemorySource({ '.github/aims-gate.yml': config }));
    expect(policy.applicability?.['A.9.3']?.events).toEqual(['custom.fairness-review', 'incident']);
  });

  it('a rule with a parameter its kind does not take', async () => {
    const error = await configError(`systems: [models/*]
rules:
  - { id: custom.x, title: X, kind: metric, metric: f1, minimum: 0.5, severity: minor, controls: [A.6.2.4], remedy: Fix it. }
`);
    expect(error).toMatchObject({ line: 3, message: 'unknown key "minimum" in rules[0]' });
  });

  it('a condition that is not a valid JSON Schema', async () => {
    const error = await configError(`systems: [models/*]
rules:
  - id: custom.x
    title: X
    kind: required-document
    document: model-card
    when: { propertys: { tier: { const: high } } }
    severity: minor
    controls: [A.6.2.7]
    remedy: Add it.
`);
    expect(error).toMatchObject({
      line: 3,
      message: expect.stringContaining('rule "custom.x": its `when` is not a valid JSON Schema'),
    });
    // Ajv, loaded for it (a simple condition needs none), says what is wrong.
    expect(error.message).toContain('unknown keyword: "propertys"');
  });

  it('a rule id the pack already defines', async () => {
    const error = await configError(`systems: [models/*]
rules:
  - { id: card.required, title: X, kind: required-document, document: model-card, severity: minor, controls: [A.6.2.7], remedy: Add it. }
`);
    expect(error.message).toBe('rule "card.required" is already defined by policies/iso42001-baseline.yml');
  });

  it('an override of a rule that does not exist, and a disabled rule without a reason', async () => {
    expect(
      await configError('systems: [models/*]\noverrides:\n  card.licence: { severity: major }\n'),
    ).toMatchObject({
      line: 3,
      fix: 'Did you mean "card.license"?',
    });
    expect(
      await configError('systems: [models/*]\noverrides:\n  card.license: { disabled: true }\n'),
    ).toMatchObject({
      message: 'overrides.card.license is missing the required key "reason"',
    });
  });

  it('an unknown built-in pack, and a missing repository pack', async () => {
    expect((await configError('extends: iso27001\nsystems: [models/*]\n')).message).toBe(
      'there is no built-in policy pack "iso27001"',
    );
    expect((await configError('extends: ./policies/org.yml\nsystems: [models/*]\n')).message).toBe(
      'the policy pack policies/org.yml does not exist in memory',
    );
  });
});

describe('policy composition', () => {
  it('extends a pack kept in the repository, which extends the baseline', async () => {
    const policy = await loadPolicy(
      new MemorySource({
        '.github/aims-gate.yml': 'extends: ./policies/org.yml\nsystems: [ml/*]\n',
        'policies/org.yml': `id: org
title: Org policy
extends: iso42001-baseline
rules:
  - { id: org.contact, title: Contact, kind: sections, sections: [Contact], severity: minor, controls: [A.3.3], remedy: Add a contact. }
`,
      }),
    );
    expect(policy.packs).toEqual(['iso42001-baseline', 'policies/org.yml', '.github/aims-gate.yml']);
    expect(policy.rules.at(-1)).toMatchObject({
      id: 'org.contact',
      origin: { path: 'policies/org.yml', line: 5 },
    });
  });

  it('overrides severity, disables a rule with its reason, and reports both', async () => {
    const files = withConfig(
      'overrides:\n  card.contact: { severity: major }\n  card.license: { disabled: true, reason: Licensing is tracked in the legal register. }\n',
    );
    const evaluation = await run(
      edit(
        edit(files, 'models/credit-scoring/MODEL_CARD.md', /## Model Card Contact\n\n.*\n/, ''),
        'models/credit-scoring/MODEL_CARD.md',
        'license: apache-2.0\n',
        '',
      ),
    );
    expect(findingsOf(evaluation, 'card.contact')).toMatchObject([{ severity: 'major' }]);
    expect(findingsOf(evaluation, 'card.license')).toEqual([]);
    expect(evaluation.disabled).toEqual([
      { id: 'card.license', reason: 'Licensing is tracked in the legal register.' },
    ]);
    expect(evaluation.verdict).toBe('fail');
  });
});

describe('waivers', () => {
  const waived = (expires: string) =>
    edit(
      edit(conformantRepo(), 'models/credit-scoring/MODEL_CARD.md', /## Model Card Contact\n\n.*\n/, ''),
      '.github/aims-gate.yml',
      'systems: [models/*]\n',
      `systems: [models/*]\noverrides: { card.contact: { severity: major } }\nwaivers:\n  - { rule: card.contact, system: credit-scoring, reason: Contact page in migration, approver: "@ciso", expires: ${expires} }\n  - { rule: card.license, system: models/credit-scoring, reason: Not needed, approver: "@ciso", expires: 2027-01-01 }\n`,
    );

  it('a valid waiver keeps the finding visible but no longer blocking', async () => {
    const evaluation = await run(waived('2026-12-31'));
    expect(findingsOf(evaluation, 'card.contact')).toMatchObject([
      { waiver: { approver: '@ciso', expires: '2026-12-31' } },
    ]);
    expect(evaluation.verdict).toBe('pass');
    expect(evaluation.waivers.map((w) => `${w.rule} ${w.status} ${w.findings}`)).toEqual([
      'card.contact applied 1',
      'card.license unused 0',
    ]);
  });

  it('an expired waiver stops applying and is reported', async () => {
    const evaluation = await run(waived('2026-10-31'));
    expect(findingsOf(evaluation, 'card.contact')[0]?.waiver).toBeUndefined();
    expect(evaluation.verdict).toBe('fail');
    expect(evaluation.waivers[0]?.status).toBe('expired');
    expect(evaluation.notices).toContain(
      'The waiver of card.contact for credit-scoring expired on 2026-10-31 and no longer applies.',
    );
  });
});

describe('a waiver or a base configuration that cannot do what it says is said', () => {
  it('a waiver of a rule no pack defines waives nothing, and says which rule was meant', async () => {
    const files = withConfig(
      'waivers:\n  - { rule: card.licence, system: credit-scoring, reason: x, approver: "@ciso", expires: 2027-01-01 }\n',
    );
    expect((await run(files)).notices).toContain(
      'A waiver names rule "card.licence", which no pack defines (did you mean "card.license"?): it waives nothing.',
    );
  });

  it('a waiver of a disabled rule, or of a system that is nowhere, waives nothing and says so', async () => {
    const files = withConfig(
      'overrides:\n  card.license: { disabled: true, reason: legal register }\nwaivers:\n  - { rule: card.license, system: credit-scoring, reason: x, approver: "@ciso", expires: 2027-01-01 }\n  - { rule: card.contact, system: credit-scorin, reason: x, approver: "@ciso", expires: 2027-01-01 }\n',
    );
    const { notices } = await run(files);
    expect(notices).toContain(
      'A waiver names rule "card.license", which is disabled here: it waives nothing.',
    );
    expect(notices).toContain(
      'The waiver of card.contact names system "credit-scorin", which is not in this repository (did you mean "credit-scoring"?): it waives nothing.',
    );
    expect(notices.filter((n) => n.includes('credit-scoring"'))).toHaveLength(1);
  });

  it('an error in the base revision’s configuration names that revision, not the file on disk', async () => {
    const base = new MemorySource(withConfig('fail-on: bad\n'), 'brokenbase');
    const error = await run(conformantRepo(), { policySource: base, baseSource: base }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/\(in brokenbase, whose configuration judges this change\)$/);
  });
});

describe('_extends: the organisation’s config under the repository’s (GitHub App and Action)', () => {
  const ORG = `systems: [models/*]
fail-on: major
approvals:
  - environment: production
    require: [{ count: 1, teams: [acme/ai-governance] }]
rules:
  - id: org.license
    title: Every model card names its licence
    kind: fields
    document: model-card
    schema: { required: [license] }
    severity: minor
    controls: [A.6.2.3]
    remedy: Add license to the front matter.
`;
  const REPO = `_extends: .github
fail-on: minor
approvals:
  - environment: production
    require: [{ count: 2 }]
overrides:
  card.license: { disabled: true, reason: The organisation's rule checks it. }
`;
  const org = new MemorySource({ '.github/aims-gate.yml': ORG }, 'acme/.github');
  const asked: string[] = [];
  const extendsFrom = (target: string) => {
    asked.push(target);
    return org;
  };

  it('merges: the repository wins on values, rules and approvals add up, systems come from the organisation', async () => {
    const policy = await loadPolicy(new MemorySource({ '.github/aims-gate.yml': REPO }), undefined, {
      extendsFrom,
    });
    expect(asked).toEqual(['.github']);
    expect(policy.failOn).toBe('minor');
    expect(policy.systems.map((s) => s.path)).toEqual(['models/*']);
    expect(policy.approvals).toHaveLength(2);
    expect(policy.rules.find((r) => r.id === 'org.license')?.origin).toEqual({
      path: '.github:.github/aims-gate.yml',
      line: 7,
    });
    expect(policy.packs).toEqual([
      'iso42001-baseline',
      '.github:.github/aims-gate.yml',
      '.github/aims-gate.yml',
    ]);
  });

  it('signers add up: the organisation’s keys stay trusted under a repository’s own', async () => {
    const ORG_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF9RTgy1DYGGWdTftLYl7sNtC4q75ZvkB4Doc74kLYDx org';
    const REPO_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJlAFjwrhkyJY0+qI10M7HYcANv8ZmrU3I120CVMIgsG';
    const orgWithKey = new MemorySource(
      { '.github/aims-gate.yml': `${ORG}signers:\n  - { key: ${ORG_KEY}, role: app, name: the App }\n` },
      'acme/.github',
    );
    const policy = await loadPolicy(
      new MemorySource({
        '.github/aims-gate.yml': `${REPO}signers:\n  - key: ${REPO_KEY}\n    role: gate\n    until: 2026-12-01\n`,
      }),
      undefined,
      { extendsFrom: () => orgWithKey },
    );
    expect(policy.signers).toEqual([
      { key: ORG_KEY, role: 'app', name: 'the App' },
      { key: REPO_KEY, role: 'gate', until: '2026-12-01' },
    ]);
  });

  it('names the organisation’s file and line when that file is wrong', async () => {
    const broken = new MemorySource({ '.github/aims-gate.yml': 'systems: [models/*]\nfail-on: sometimes\n' });
    const error = await loadPolicy(new MemorySource({ '.github/aims-gate.yml': REPO }), undefined, {
      extendsFrom: () => broken,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain('.github:.github/aims-gate.yml:2');
  });

  it('refuses an _extends that names a repository without the file', async () => {
    const error = await loadPolicy(new MemorySource({ '.github/aims-gate.yml': REPO }), undefined, {
      extendsFrom: () => new MemorySource({}),
    }).catch((e: unknown) => e);
    expect(String(error)).toContain('_extends names .github, which has no .github/aims-gate.yml');
  });

  describe('an enforced floor', () => {
    const FLOOR = `${ORG}enforce: { rules: all, fail-on: true }\n`;
    const ATTEMPT = `_extends: .github
fail-on: never
extends: ./policies/lax.yml
overrides:
  org.license: { disabled: true, reason: not for us }
  card.intended-use: { severity: observation }
  card.limitations: { severity: major }
waivers:
  - { rule: risk.scores, system: credit-scoring, reason: later, approver: me, expires: 2099-01-01 }
`;
    const LAX = `id: lax
title: A pack that checks nothing
rules:
  - id: lax.nothing
    title: Nothing
    kind: fields
    document: model-card
    schema: {}
    severity: observation
    controls: [A.6.2.3]
    remedy: Nothing.
`;
    const load = (org: string, repo = ATTEMPT.replace('extends: ./policies/lax.yml\n', '')) =>
      loadPolicy(new MemorySource({ '.github/aims-gate.yml': repo, 'policies/lax.yml': LAX }), undefined, {
        extendsFrom: () => new MemorySource({ '.github/aims-gate.yml': org }, 'acme/.github'),
      });

    it('cannot be disabled, waived, softened or swapped for a lax pack; each attempt is reported', async () => {
      const policy = await load(FLOOR, ATTEMPT);
      const rule = (id: string) => policy.rules.find((r) => r.id === id);
      expect(rule('org.license')).toBeDefined();
      expect(rule('card.intended-use')?.severity).toBe('major');
      expect(rule('card.limitations')?.severity).toBe('major'); // stricter is allowed
      expect(rule('lax.nothing')).toBeUndefined();
      expect(policy.waivers).toEqual([]);
      expect(policy.failOn).toBe('major');
      expect(policy.failOnFloor).toBe('major');
      expect(policy.disabled).toEqual([]);
      expect(policy.notices).toEqual([
        ".github/aims-gate.yml:5: disabling enforced rule org.license is below the organisation's floor (.github:.github/aims-gate.yml enforces it); it was not applied.",
        ".github/aims-gate.yml:6: lowering enforced rule card.intended-use from major to observation is below the organisation's floor (.github:.github/aims-gate.yml enforces it); it was not applied.",
        ".github/aims-gate.yml:9: a waiver of enforced rule risk.scores for credit-scoring is below the organisation's floor (.github:.github/aims-gate.yml enforces it); it was not applied.",
        ".github/aims-gate.yml:2: fail-on: never is below the organisation's floor (.github:.github/aims-gate.yml enforces it); it was not applied.",
        ".github/aims-gate.yml: extends ./policies/lax.yml leaves out the enforced rules card.required, card.valid, card.governance, card.license and 41 more; the organisation's pack iso42001-baseline applies instead.",
      ]);
    });

    it('enforces only the rules it names, and a fail-on input cannot go below it either', async () => {
      const policy = await load(`${ORG}enforce: { rules: [org.license], fail-on: true }\n`);
      expect(policy.rules.find((r) => r.id === 'card.intended-use')?.severity).toBe('observation');
      expect(policy.waivers).toHaveLength(1);
      expect(policy.notices).toHaveLength(2);
      const evaluation = await run(
        {
          ...conformantRepo(),
          '.github/aims-gate.yml': ATTEMPT.replace('extends: ./policies/lax.yml\n', ''),
        },
        {
          failOn: 'never',
          extendsFrom: () =>
            new MemorySource({ '.github/aims-gate.yml': `${ORG}enforce: { fail-on: true }\n` }),
        },
      );
      expect(evaluation.failOn).toBe('major');
      expect(evaluation.notices).toContain(
        'fail-on never is laxer than the organisation enforces; major applies.',
      );
    });

    it('without enforce, the repository may still do all of it', async () => {
      const policy = await load(ORG);
      expect(policy.failOn).toBe('never');
      expect(policy.rules.find((r) => r.id === 'org.license')).toBeUndefined();
      expect(policy.notices).toEqual([]);
    });
  });

  it('locally, where no organisation can be read, leaves it out and says so', async () => {
    const policy = await loadPolicy(new MemorySource({ '.github/aims-gate.yml': REPO }));
    expect(policy.notices).toEqual([
      '.github/aims-gate.yml extends .github, which only the GitHub App and Action read: its settings were left out here, and systems default to models/*.',
    ]);
    expect(policy.approvals).toHaveLength(1);
  });
});
