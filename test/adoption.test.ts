import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate } from '../src/evaluate.js';
import { MemorySource } from '../src/source.js';
import { cli } from './cli-in-process.js';
import { EXAMPLE } from './helpers.js';

/**
 * A new user's first runs (issue 23): a Hugging Face Hub repository that is one model, a governance.yml typed
 * by hand, commands typed wrong, and a CI job's shallow clone. The CLI's commands, in real git repositories.
 */

const temps: string[] = [];

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args],
    { cwd, encoding: 'utf8' },
  );

/** A folder named `name` (the repository's name), holding `files`. */
function repository(name: string, files: Record<string, string>): string {
  const parent = mkdtempSync(join(tmpdir(), 'aims-gate-adopt-'));
  temps.push(parent);
  const dir = join(parent, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** The README.md the Hub's Trainer writes for a fine-tuned model: front matter the Hub reads, no aims-gate keys. */
const HUB_CARD = `---
library_name: transformers
license: apache-2.0
base_model: distilbert/distilbert-base-uncased
tags:
- generated_from_trainer
datasets:
- stanfordnlp/imdb
metrics:
- accuracy
model-index:
- name: distilbert-imdb
  results:
  - task:
      name: Text Classification
      type: text-classification
    dataset:
      name: imdb
      type: imdb
      config: plain_text
      split: test
      args: plain_text
    metrics:
    - name: Accuracy
      type: accuracy
      value: 0.93116
---

<!-- This model card has been generated automatically according to the information the Trainer had access to. You
should probably proofread and complete it, then remove this comment. -->

# distilbert-imdb

This model is a fine-tuned version of [distilbert/distilbert-base-uncased](https://huggingface.co/distilbert/distilbert-base-uncased) on the imdb dataset.
It achieves the following results on the evaluation set:
- Loss: 0.2321
- Accuracy: 0.9312

## Model description

More information needed

## Intended uses & limitations

More information needed

## Training and evaluation data

More information needed

## Training procedure

### Training hyperparameters

The following hyperparameters were used during training:
- learning_rate: 2e-05
- train_batch_size: 16
- num_epochs: 2

### Framework versions

- Transformers 4.46.3
- Pytorch 2.5.1+cu121
`;

type Json = {
  systems: { id: string; path: string; tier?: string }[];
  findings: { rule: string; severity: string; path?: string; message: string; remedy: string }[];
};

describe('a Hub repository that is one model (issue 23, item 3)', () => {
  it('init . names the system from the card, writes governance.yml beside it, and never overwrites', async () => {
    const dir = repository('imdb-sentiment', { 'README.md': HUB_CARD });
    git(dir, 'init', '-q');
    const init = await cli(['init', '.'], dir);
    expect([init.code, init.stderr]).toEqual([0, '']);
    expect(init.stdout).toContain('kept README.md (already there)');
    for (const file of [
      'governance.yml',
      'risk-assessment.yml',
      'impact-assessment.yml',
      '.github/aims-gate.yml',
    ])
      expect(init.stdout).toContain(`wrote ${file}\n`);
    expect(existsSync(join(dir, 'MODEL_CARD.md'))).toBe(false);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe(HUB_CARD);
    // The model-index name, in every document, so they agree; the config's one system is the repository.
    const governance = readFileSync(join(dir, 'governance.yml'), 'utf8');
    expect(governance).toContain('\nsystem: distilbert-imdb\n');
    expect(governance).toContain('\ntier: high ');
    expect(readFileSync(join(dir, 'risk-assessment.yml'), 'utf8')).toContain('\nsystem: distilbert-imdb\n');
    expect(readFileSync(join(dir, '.github/aims-gate.yml'), 'utf8')).toContain('systems:\n  - "."\n');

    const check = await cli(['check', '--format', 'json'], dir);
    expect(check.code).toBe(1);
    const { systems, findings } = JSON.parse(check.stdout) as Json;
    expect(systems.map((s) => [s.id, s.path, s.tier])).toEqual([['distilbert-imdb', '.', 'high']]);
    const rules = findings.map((f) => f.rule);
    expect(rules).not.toContain('docs.system-id');
    // Only the owner is left to state: the rest of the facts are in governance.yml.
    expect(findings.filter((f) => f.rule === 'card.governance').map((f) => f.message)).toEqual([
      'no owner for this system in its model card, governance.yml or the config',
    ]);

    const again = await cli(['init', '.'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('wrote');
    expect(again.stdout).toContain('kept governance.yml');
    expect(readFileSync(join(dir, 'governance.yml'), 'utf8')).toBe(governance);
  });

  it('without a model name the repository folder names it, and `systems: ["."]` gives that id, on both sides of a change', async () => {
    const card = '---\nlicense: mit\n---\n# A model\n';
    const dir = repository('fraud-scorer', {
      'README.md': card,
      '.github/aims-gate.yml': 'systems: ["."]\n',
    });
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'card');
    const init = await cli(['init', '.', '--tier', 'minimal'], dir);
    expect(init.code).toBe(0);
    expect(readFileSync(join(dir, 'governance.yml'), 'utf8')).toContain('\nsystem: fraud-scorer\n');
    git(dir, 'checkout', '-qb', 'feature');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'governance');
    const check = await cli(['check', '--base', 'main', '--format', 'json'], dir);
    const { systems } = JSON.parse(check.stdout) as Json;
    expect(systems.map((s) => s.id)).toEqual(['fraud-scorer']);

    // No governance.yml and no name in the card: the folder's name still, never ".".
    rmSync(join(dir, 'governance.yml'));
    const bare = JSON.parse((await cli(['check', '--format', 'json'], dir)).stdout) as Json;
    expect(bare.systems.map((s) => s.id)).toEqual(['fraud-scorer']);
  });

  it('at limited or minimal tier init writes no impact assessment, and none is a blocking finding', async () => {
    for (const tier of ['limited', 'minimal']) {
      const dir = repository('sentiment', { 'README.md': HUB_CARD });
      const init = await cli(['init', '.', '--tier', tier], dir);
      expect(init.code).toBe(0);
      expect(init.stdout).toContain(
        `no impact-assessment.yml: at tier ${tier} the policy does not require an impact assessment (--impact-assessment writes one)`,
      );
      expect(existsSync(join(dir, 'impact-assessment.yml'))).toBe(false);
      const { findings } = JSON.parse((await cli(['check', '--format', 'json'], dir)).stdout) as Json;
      const impact = findings.filter((f) => f.rule.startsWith('impact.'));
      expect(impact.map((f) => [f.rule, f.severity])).toEqual(
        tier === 'limited' ? [['impact.recommended', 'observation']] : [],
      );
      expect((await cli(['init', '.', '--impact-assessment'], dir)).stdout).toContain(
        'wrote impact-assessment.yml',
      );
    }
  });

  it('init in a model folder keeps a card that states its facts, and takes its tier and id from it', async () => {
    const dir = repository('platform', {
      '.github/aims-gate.yml': 'systems: [models/*]\n',
      'models/churn/MODEL_CARD.md':
        '---\ngovernance:\n  system: churn-v2\n  owner: "@acme/ml"\n  version: "2.0"\n  status: production\n  tier: limited\n---\n# Churn\n',
    });
    const init = await cli(['init', 'models/churn', '--tier', 'high'], dir);
    expect(init.code).toBe(0);
    expect(init.stderr).toBe(
      'aims-gate: warning: models/churn/MODEL_CARD.md states tier limited, so the documents say limited, not --tier high: change it there if it has changed\n',
    );
    expect(existsSync(join(dir, 'models/churn/governance.yml'))).toBe(false); // nothing left to state
    expect(existsSync(join(dir, 'models/churn/impact-assessment.yml'))).toBe(false);
    const risk = readFileSync(join(dir, 'models/churn/risk-assessment.yml'), 'utf8');
    expect(risk).toContain('\nsystem: churn-v2\n');
    expect(risk).toContain('\ntier: limited\n');
  });

  it('a folder outside the repository is refused, naming . as the way to init the repository itself', async () => {
    const dir = repository('one', { 'README.md': HUB_CARD });
    git(dir, 'init', '-q');
    const outside = await cli(['init', '..'], dir);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('or . for the repository itself');
  });
});

describe('the id of a system at the root, on any source', () => {
  /** Files as the GitHub API reads them: the source knows the repository's name, not a folder. */
  class NamedSource extends MemorySource {
    readonly repository = 'sentiment-model';
  }
  const ids = async (files: Record<string, string>) =>
    (await evaluate({ source: new NamedSource(files), today: '2026-11-01' })).systems.map((s) => s.id);

  it('is the model_name, else the model-index name, else the repository name', async () => {
    const config = { '.github/aims-gate.yml': 'systems: ["."]\n' };
    expect(await ids({ ...config, 'README.md': '---\nmodel_name: imdb-v3\n---\n# x\n' })).toEqual([
      'imdb-v3',
    ]);
    expect(await ids({ ...config, 'README.md': HUB_CARD })).toEqual(['distilbert-imdb']);
    expect(await ids({ ...config, 'README.md': '# no front matter\n' })).toEqual(['sentiment-model']);
    // What the facts state wins over every name.
    expect(await ids({ ...config, 'README.md': HUB_CARD, 'governance.yml': 'system: nlp-1\n' })).toEqual([
      'nlp-1',
    ]);
  });
});

describe('governance.yml has a schema (issue 23, item 4)', () => {
  it('a misspelt key fails validate and check, with "did you mean"', async () => {
    const dir = repository('typo', {
      'README.md': HUB_CARD,
      '.github/aims-gate.yml': 'systems: ["."]\n',
      'governance.yml':
        'system: distilbert-imdb\nowner: "@acme/nlp"\nversion: "1.0"\nstatus: development\nteir: high\n',
    });
    const validate = await cli(['validate'], dir);
    expect(validate.code).toBe(1);
    expect(validate.stdout).toContain(
      'governance.yml:5:7: unknown key "teir" in the document\n  fix: Did you mean "tier"? Rename the key, or prefix it with "x-" to keep it as your own data.\n',
    );
    const check = await cli(['check', '--format', 'json'], dir);
    expect(check.code).toBe(1);
    const { findings } = JSON.parse(check.stdout) as Json;
    expect(findings.filter((f) => f.path === 'governance.yml').map((f) => [f.rule, f.severity])).toEqual([
      ['inventory.governance-file', 'major'],
    ]);
    // What the typo meant to say is missing, and said so as well.
    expect(findings.map((f) => f.message)).toContain(
      'no tier for this system in its model card, governance.yml or the config',
    );
    // x- keys are the team's own; a wrong value is named with the values allowed.
    writeFileSync(
      join(dir, 'governance.yml'),
      'system: distilbert-imdb\nowner: "@acme/nlp"\nversion: "1.0"\nstatus: live\ntier: high\nx-cost-centre: 42\n',
    );
    expect((await cli(['validate'], dir)).stdout).toContain(
      'governance.yml:4:9: status must be one of: development, validation, production, deprecated, retired',
    );
  });

  it('is published in schemas/, the model card’s governance keys as top-level keys', () => {
    const schema = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', 'schemas', 'governance.schema.json'), 'utf8'),
    );
    const card = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', 'schemas', 'model-card.schema.json'), 'utf8'),
    );
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual([
      '$schema',
      ...Object.keys(card.definitions.governance.properties),
    ]);
  });
});

describe('"did you mean" for commands and options (issue 23, item 4)', () => {
  it('names the nearest command or option, and none where nothing is near', async () => {
    const dir = tmpdir();
    expect((await cli(['chek'], dir)).stderr).toBe(
      'aims-gate: unknown command "chek" (did you mean "check"?)\nRun "aims-gate --help" for usage.\n',
    );
    expect((await cli(['check', '--formt', 'json'], dir)).stderr.split('\n')[0]).toBe(
      'aims-gate check: unknown option --formt (did you mean --format?)',
    );
    expect((await cli(['init', '--teir', 'high', '.'], dir)).stderr.split('\n')[0]).toBe(
      'aims-gate init: unknown option --teir (did you mean --tier?)',
    );
    expect((await cli(['frobnicate'], dir)).stderr.split('\n')[0]).toBe(
      'aims-gate: unknown command "frobnicate"',
    );
    expect((await cli(['check', '--nope'], dir)).stderr.split('\n')[0]).toBe(
      'aims-gate check: unknown option --nope',
    );
  });
});

describe('a CI job’s shallow clone (issue 23, item 5)', () => {
  /** The example on main, and a branch that changes a model: the repository a pull request comes from. */
  function upstream(): string {
    const dir = repository('upstream', {});
    execFileSync('cp', ['-R', `${EXAMPLE}/.`, dir]);
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'base');
    writeFileSync(join(dir, 'models/churn-predictor/features.py'), 'FEATURES = []\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'second');
    git(dir, 'checkout', '-qb', 'feature');
    writeFileSync(join(dir, 'models/churn-predictor/features.py'), 'FEATURES = ["tenure"]\n');
    git(dir, 'commit', '-qam', 'retrain');
    return dir;
  }

  it('says fetch-depth: 0 when the base is not in the clone, or has no common commit in it; then works', async () => {
    const origin = upstream();
    const parent = dirname(origin);
    // actions/checkout's default: one commit of the branch under test, no other branch.
    git(parent, 'clone', '-q', '--depth', '1', '--branch', 'feature', `file://${origin}`, 'single');
    const single = await cli(
      ['check', '--base', 'origin/main', '--today', '2026-11-01'],
      join(parent, 'single'),
    );
    expect(single.code).toBe(2);
    expect(single.stderr).toBe(
      'aims-gate: "origin/main" is not in this shallow clone, which holds the latest commits only. In GitHub Actions, set `fetch-depth: 0` on actions/checkout; elsewhere, run: git fetch --unshallow origin +refs/heads/main:refs/remotes/origin/main\n',
    );
    expect(single.stderr).not.toContain('try origin/main');

    // Every branch, one commit deep: origin/main is there, their common commit is not.
    git(
      parent,
      'clone',
      '-q',
      '--depth',
      '1',
      '--no-single-branch',
      '--branch',
      'feature',
      `file://${origin}`,
      'tips',
    );
    const tips = await cli(['check', '--base', 'origin/main', '--today', '2026-11-01'], join(parent, 'tips'));
    expect(tips.code).toBe(2);
    expect(tips.stderr).toContain('origin/main and HEAD have no common commit in this shallow clone');
    expect(tips.stderr).toContain('set `fetch-depth: 0` on actions/checkout');
    expect(tips.stderr).not.toContain('git merge-base');

    // The command it gives, run as given, is enough.
    git(
      join(parent, 'single'),
      'fetch',
      '-q',
      '--unshallow',
      'origin',
      '+refs/heads/main:refs/remotes/origin/main',
    );
    const fetched = await cli(
      ['check', '--base', 'origin/main', '--today', '2026-11-01', '--format', 'json'],
      join(parent, 'single'),
    );
    expect(fetched.stderr).toBe('');
    expect((JSON.parse(fetched.stdout) as Json).systems.map((s) => s.id)).toEqual(['churn-predictor']);
  });

  it('a base typed wrong gets the nearest ref; a remote branch not fetched gets the fetch command', async () => {
    const origin = upstream();
    expect((await cli(['check', '--base', 'mian'], origin)).stderr).toBe(
      'aims-gate: "mian" is not a commit in this repository (did you mean main?)\n',
    );
    const parent = dirname(origin);
    git(parent, 'clone', '-q', '--single-branch', '--branch', 'feature', `file://${origin}`, 'full');
    expect((await cli(['check', '--base', 'origin/main'], join(parent, 'full'))).stderr).toBe(
      'aims-gate: "origin/main" is not a commit in this repository: fetch it first (git fetch origin main)\n',
    );
  });
});

describe('one vocabulary: controls and findings are counted in different words (issue 23, item 5)', () => {
  it('the controls line counts controls by their worst finding; the verdict counts findings', async () => {
    const { stdout } = await cli(['check', EXAMPLE, '--today', '2026-11-01'], tmpdir());
    const lines = stdout.trimEnd().split('\n');
    expect(lines.find((l) => l.startsWith('Controls'))).toBe(
      'Controls (ISO/IEC 42001 Annex A): 2 conformant, 13 documented, 8 with minor findings, 4 with major findings, 11 not evaluated',
    );
    expect(lines.at(-1)).toBe('FAIL: findings: 4 major, 9 minor (fails on: major)');
  });
});
