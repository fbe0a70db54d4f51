import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AuditEntry, type EventDraft, seal, sealSigned, serialise } from '../src/audit/entry.js';
import { ed25519Signer, type Signer } from '../src/audit/signature.js';
import { cli } from './cli-in-process.js';
import { conformantRepo, EXAMPLE, IMPACT, readTree } from './helpers.js';
import { git, tempRepo, writeFiles } from './temp-repo.js';

describe('aims-gate check', () => {
  it('writes JSON and SARIF, and keeps the verdict on the terminal', async () => {
    const json = await cli(['check', EXAMPLE, '--today', '2026-11-01', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      verdict: 'fail',
      today: '2026-11-01',
      systems: { length: 3 },
    });
    const dir = tempRepo({});
    const out = join(dir, 'results.sarif');
    const sarif = await cli([
      'check',
      EXAMPLE,
      '--today',
      '2026-11-01',
      '--format',
      'sarif',
      '--output',
      out,
    ]);
    expect(sarif.code).toBe(1);
    expect(sarif.stdout).toBe('');
    expect(sarif.stderr).toContain(`wrote sarif to ${out}`);
    expect(JSON.parse(readFileSync(out, 'utf8')).version).toBe('2.1.0');
    // Written beside the target and renamed once whole, so nothing half-written is left behind either way.
    expect(readdirSync(dir)).toEqual(['results.sarif']);
    const folder = await cli(['check', EXAMPLE, '--today', '2026-11-01', '-f', 'sarif', '-o', dir]);
    expect(folder).toMatchObject({ code: 2, stderr: expect.stringContaining('choose another --output') });
    expect(readdirSync(dir)).toEqual(['results.sarif']);
    // A link is written through, not replaced by a file of its own.
    symlinkSync(out, join(dir, 'latest.sarif'));
    await cli(['check', EXAMPLE, '--today', '2026-11-01', '-f', 'json', '-o', join(dir, 'latest.sarif')]);
    expect(lstatSync(join(dir, 'latest.sarif')).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(out, 'utf8')).verdict).toBe('fail');
  });

  it('--fail-on changes what blocks', async () => {
    expect((await cli(['check', EXAMPLE, '--today', '2026-11-01', '--fail-on', 'never'])).code).toBe(0);
  });

  it('usage errors: exit 2 with a pointer to --help', async () => {
    for (const args of [
      ['check', '--formt', 'json'],
      ['check', '--format', 'pdf'],
      ['check', '--today', 'yesterday'],
      ['frobnicate'],
      [],
    ]) {
      const { code, stderr } = await cli(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
    expect((await cli(['check', '--formt', 'json'])).stderr).toBe(
      'aims-gate check: unknown option --formt (did you mean --format?)\nRun "aims-gate check --help" for usage.\n',
    );
  });

  it('a folder that does not exist: exit 2 and a plain message', async () => {
    const { code, stderr } = await cli(['check', '/nonexistent/repo']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^aims-gate: \/nonexistent\/repo: no such folder\n/);
  });
});

describe('aims-gate check --base', () => {
  function branchRepo() {
    const dir = tempRepo(conformantRepo());
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'base');
    git(dir, 'checkout', '-qb', 'feature');
    return dir;
  }

  it('judges a change by the base configuration, not the one the change edits', async () => {
    const dir = branchRepo();
    // The branch retrains the model and tries to switch off the rule that would catch it.
    writeFiles(dir, {
      'models/credit-scoring/train.py': 'import xgboost  # retrained\n',
      '.github/aims-gate.yml':
        'systems: [models/*]\noverrides:\n  change.model-card: { disabled: true, reason: no }\n',
    });
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'retrain');

    const { code, stdout } = await cli(
      ['check', '--base', 'main', '--today', '2026-11-01', '--format', 'json'],
      dir,
    );
    const evaluation = JSON.parse(stdout);
    expect(evaluation.policy.configSource).toBe('main');
    expect(evaluation.notices[0]).toContain(
      'This change edits .github/aims-gate.yml; it was judged by the configuration in main',
    );
    expect(evaluation.findings.map((f: { rule: string }) => f.rule)).toEqual([
      'change.model-card',
      'change.risk-assessment',
    ]);
    expect(evaluation.disabled).toEqual([]);
    expect(code).toBe(0); // change.model-card is a minor nonconformity: reported, not blocking by default
  });

  it('cannot lower its own risk tier: the higher of base and head applies', async () => {
    const dir = branchRepo();
    for (const file of ['models/credit-scoring/MODEL_CARD.md', 'models/credit-scoring/risk-assessment.yml']) {
      const path = join(dir, file);
      writeFileSync(path, readFileSync(path, 'utf8').replace('tier: high', 'tier: minimal'));
    }
    rmSync(join(dir, IMPACT));
    const { code, stdout } = await cli(
      ['check', '--base', 'main', '--today', '2026-11-01', '--format', 'json'],
      dir,
    );
    const evaluation = JSON.parse(stdout);
    expect(evaluation.systems[0]).toMatchObject({
      tier: 'high',
      tierNote: 'the base revision states tier high; this change lowers it to minimal',
    });
    expect(evaluation.findings.map((f: { rule: string }) => f.rule)).toContain('impact.required');
    expect(code).toBe(1);
  });

  it('checks only the systems a change touches', async () => {
    const dir = branchRepo();
    writeFiles(dir, { 'models/other/MODEL_CARD.md': '# Other\n', 'docs/readme.md': 'x\n' });
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'other');
    const { stdout } = await cli(
      ['check', '--base', 'main', '--format', 'json', '--today', '2026-11-01'],
      dir,
    );
    const evaluation = JSON.parse(stdout);
    expect(evaluation.systems.map((s: { id: string }) => s.id)).toEqual(['other']);
    expect(evaluation.notices).toContain(
      '1 of 2 AI systems are untouched by this change and were not checked.',
    );
  });

  it('a base that is not a commit: exit 2', async () => {
    const dir = branchRepo();
    const { code, stderr } = await cli(['check', '--base', 'origin/nope'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('"origin/nope" is not a commit in this repository');
  });
});

describe('aims-gate init and explain', () => {
  it('init writes the three documents and a config; check then lists what to fill in', async () => {
    const dir = tempRepo({});
    const init = await cli(['init', 'models/churn'], dir);
    expect(init.code).toBe(0);
    for (const file of [
      'models/churn/MODEL_CARD.md',
      'models/churn/risk-assessment.yml',
      'models/churn/impact-assessment.yml',
      '.github/aims-gate.yml',
    ]) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
    expect(readFileSync(join(dir, '.github/aims-gate.yml'), 'utf8')).toContain('  - models/*\n');
    const check = await cli(['check', '--format', 'json'], dir);
    expect(check.code).toBe(1);
    const findings = JSON.parse(check.stdout).findings.map(
      (f: { rule: string; message: string }) => `${f.rule}: ${f.message}`,
    );
    expect(findings).toContain('card.valid: governance.owner is empty');
    expect(findings).toContain(
      'card.intended-use: the "Out-of-Scope Use" section is empty or holds only placeholders',
    );
    // A starting Statement of Applicability: every control, planned, and each TODO flagged as unfinished.
    const soa = readFileSync(join(dir, 'governance/statement-of-applicability.yml'), 'utf8');
    expect(soa.match(/^ {2}A\.\d+(\.\d+)+: # /gm)).toHaveLength(38);
    expect(soa.match(/^ {4}status: planned$/gm)).toHaveLength(38);
    expect(soa).toContain('  A.10.3: # Suppliers\n    applicable: true\n');
    // The editor's schema is the installed package's copy: resolvable offline, once the package is installed.
    expect(soa).toContain('$schema=../node_modules/aims-gate/schemas/statement-of-applicability.schema.json');
    expect(readFileSync(join(dir, '.github/aims-gate.yml'), 'utf8')).toContain(
      '$schema=../node_modules/aims-gate/schemas/config.schema.json',
    );
    const notices: string[] = JSON.parse(check.stdout).notices;
    // Counted in one notice, not one per TODO (they would bury the findings); validate lists each.
    expect(notices.filter((n) => n.includes('statement-of-applicability'))).toEqual([
      "governance/statement-of-applicability.yml: 78 answers are unfinished (TODO), the first at line 7; `aims-gate validate` lists them all. Replace each TODO with the organisation's answer before the SoA goes to an auditor.",
    ]);
    const listed = (await cli(['validate'], dir)).stdout;
    expect(listed).toContain(
      'note: governance/statement-of-applicability.yml:7: organisation is unfinished: "TODO: your organisation"\n  fix: Replace the TODO with the answer',
    );
    expect(listed.match(/owner is unfinished/g)).toHaveLength(38);
    // Again: nothing is written over, and it says so.
    const card = readFileSync(join(dir, 'models/churn/MODEL_CARD.md'), 'utf8');
    const again = await cli(['init', 'models/churn'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('kept models/churn/MODEL_CARD.md (already there)');
    expect(again.stdout).not.toContain('wrote');
    expect(readFileSync(join(dir, 'models/churn/MODEL_CARD.md'), 'utf8')).toBe(card);
  });

  it('init adds only what is missing, never destroys a document, and warns outside `systems`', async () => {
    const dir = tempRepo({
      '.github/aims-gate.yml': 'systems: [models/*]\n',
      'models/churn/README.md': '# my own card\n',
      // The package installed in the repository: schema links point at its copy.
      'node_modules/aims-gate/schemas/risk-assessment.schema.json': '{}',
    });
    const { code, stdout, stderr } = await cli(['init', 'churn'], join(dir, 'models'));
    expect(code).toBe(0);
    expect(stdout).toContain('kept models/churn/README.md (already there)');
    expect(stdout).toContain('wrote churn/risk-assessment.yml');
    expect(stdout).toContain('wrote churn/governance.yml'); // the card states no governance facts
    expect(stdout).toContain('then run: npx aims-gate check churn\n'); // as typed from models/
    expect(existsSync(join(dir, 'models/churn/MODEL_CARD.md'))).toBe(false);
    expect(readFileSync(join(dir, 'models/churn/README.md'), 'utf8')).toBe('# my own card\n');
    expect(readFileSync(join(dir, 'models/churn/risk-assessment.yml'), 'utf8')).toContain(
      '$schema=../../node_modules/aims-gate/schemas/risk-assessment.schema.json',
    );
    expect(stderr).toBe('');
    expect((await cli(['init', 'models/churn', '--force'], dir)).code).toBe(2); // there is no overwriting

    const outside = await cli(['init', 'services/scorer'], dir);
    expect(outside.code).toBe(0);
    expect(outside.stderr).toContain(
      'services/scorer is not a system folder by the `systems` patterns of .github/aims-gate.yml (models/*), so check will not see it: add "services/*" to systems',
    );
  });

  it('init --soa writes the Statement of Applicability alone, where the config says, and never over one', async () => {
    const dir = tempRepo({
      '.github/aims-gate.yml': 'systems: [models/*]\nstatement-of-applicability: docs/soa.yml\n',
    });
    const first = await cli(['init', '--soa'], dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('wrote docs/soa.yml');
    const written = readFileSync(join(dir, 'docs/soa.yml'), 'utf8');
    expect(written).toContain('organisation: "TODO: your organisation"');
    const again = await cli(['init', '--soa'], dir);
    expect(again.stdout).toContain('kept docs/soa.yml (already there)');
    expect(readFileSync(join(dir, 'docs/soa.yml'), 'utf8')).toBe(written);
    // A system's init leaves it be; the report: every control declared, none yet justified by a need.
    expect((await cli(['init', 'models/churn'], dir)).stdout).not.toContain('soa.yml');
    expect(readFileSync(join(dir, 'docs/soa.yml'), 'utf8')).toBe(written);
    const report = await cli(['report'], dir);
    expect(report.stdout).toContain('38 controls: 38 declared applicable');
    expect(report.stdout).toContain('⚠ Declared applicable without a justification of need');
    // Not in a git repository: its version and approval are said to be not known.
    expect(report.stdout).toContain(
      'Version and approval not known: the file has no commit in the git log of HEAD',
    );
  });

  it('explain shows a rule with its controls and remedy, and lists all rules', async () => {
    const one = await cli(['explain', 'impact.required']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('impact.required: A high-risk system has an impact assessment');
    expect(one.stdout).toContain('  controls  A.5.2 AI system impact assessment process');
    expect(one.stdout).toContain('  clauses   6.1.4 AI system impact assessment');
    // A sections rule lists every heading it accepts, one line per required section.
    const sections = (await cli(['explain', 'card.intended-use'])).stdout;
    expect(sections).toContain('  headings  "Direct Use", "Uses", "Intended Use",');
    expect(sections).toContain('            "Out-of-Scope Use", "Out-of-scope use cases",');
    expect(sections).toContain('or a heading like "*out of scope*" or "*misuse*"');
    const all = await cli(['explain']);
    expect(all.stdout).toMatch(/^\d+ rules from iso42001-baseline:/);
    expect(await cli(['explain', 'card.licence'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('did you mean "card.license"?'),
    });
    // A control every finding prints: its title, the rules here that cite it, the log events that evidence it.
    const control = (await cli(['explain', 'A.6.2.5'])).stdout;
    expect(control).toMatch(/^A\.6\.2\.5: AI system deployment \(ISO\/IEC 42001\)\n/);
    expect(control).toContain('  rule      card.prohibited-not-deployed');
    expect(control).toContain('  log       deployment.approved, deployment.rejected');
    // What the Statement of Applicability declares of it, in any case typed; one id only.
    expect((await cli(['explain', 'a.10.4'], EXAMPLE)).stdout).toContain(
      '  declared  not applicable: Acme provides no AI systems to customers',
    );
    expect((await cli(['explain', 'A.6.2.5', 'A.8.4'])).stderr).toContain('explain takes one id, not 2');
  });

  it('explain of a document in another format shows what was mapped from where', async () => {
    const files = conformantRepo();
    delete files[IMPACT];
    const dir = tempRepo({
      ...files,
      '.github/aims-gate.yml':
        'systems: [models/*]\ndocuments:\n  impact-assessment: { path: iama.yaml, format: minbzk-iama }\n',
      'models/credit-scoring/iama.yaml': `name: IAMA\nurn: "urn:nl:aivt:ir:iama:1.0"\ncontents:\n  - question: "Welke grondrechten worden geraakt?"\n    urn: "urn:nl:aivt:ir:iama:1.0:4.1.1"\n    answer: "Gelijke behandeling."\n  - question: "Wie leest mee?"\n    answer: "Niemand."\n`,
    });
    const explained = await cli(['explain', 'models/credit-scoring/iama.yaml'], dir);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toBe(
      [
        "models/credit-scoring/iama.yaml: the system's impact assessment (format: minbzk-iama, .github/aims-gate.yml:3)",
        '  read as MinBZK IAMA; 2 of 2 questions answered; not mapped: contents[1] (2)',
        '  mapped (aims-gate field  ←  original field (line): as written):',
        '    system                  ←  name (line 1): IAMA',
        '    impacts[0].id           ←  contents[0].answer (line 6): Gelijke behandeling.',
        '    impacts[0].type         ←  contents[0].answer (line 6): Gelijke behandeling.',
        '    impacts[0].description  ←  contents[0].answer (line 6): Gelijke behandeling.',
        '',
      ].join('\n'),
    );
    expect((await cli(['explain', 'models/credit-scoring/MODEL_CARD.md'], dir)).stdout).toContain(
      "read in aims-gate's own format: no importer recognises it",
    );
  });
});

describe('signed entries: verify trusts only the keys the configuration lists', () => {
  const exampleLog = () => readFileSync(join(EXAMPLE, '.aims-gate/audit-log.jsonl'), 'utf8');
  /** A copy of the example repository, its log ending with `extra` lines. */
  const exampleCopy = (extra = '') => {
    const dir = tempRepo(readTree(EXAMPLE));
    writeFileSync(join(dir, '.aims-gate/audit-log.jsonl'), exampleLog() + extra);
    return dir;
  };
  /** A deployment.approved appended by someone who can push: perfectly chained, unsigned or signed by `signer`. */
  const forged = async (signer?: Signer) => {
    const last = JSON.parse(exampleLog().trimEnd().split('\n').at(-1)!) as AuditEntry;
    const draft: EventDraft = {
      type: 'deployment.approved',
      time: '2026-11-02T08:00:00.000Z',
      actor: { login: 'aims-gate[bot]' },
      subject: { repository: 'acme/ml-platform', commit: 'f'.repeat(40), environment: 'production' },
      details: {
        by: 'aims-gate',
        reason: 'all approvals given',
        writer: 'aims-gate Action, workflow run https://github.com/acme/ml-platform/actions/runs/1',
      },
      evidence: [],
    };
    const head = { seq: last.seq, hash: last.hash };
    return serialise(signer ? await sealSigned(draft, head, signer) : seal(draft, head));
  };

  it('the example verifies, its gate entries signed by the gate key its config lists', async () => {
    const { code, stdout } = await cli(['verify', EXAMPLE]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^ {2}4 signed by the gate key production deploy gate \(EXAMPLE ONLY\) \(SHA256:[A-Za-z0-9+/]{43}\)$/m,
    );
    expect(stdout).toMatch(/^ {2}7 signed by the person key gov-lead \(EXAMPLE ONLY\)/m);
    const json = JSON.parse((await cli(['verify', EXAMPLE, '-f', 'json'])).stdout);
    expect(json).toMatchObject({ ok: true, chain: true, signatures: { ok: true, failed: 0 } });
    expect(json.signatures.entries).toHaveLength(36);
    expect(json.signatures.entries.filter((e: { role?: string }) => e.role === 'gate')).toHaveLength(4);
  });

  it('a forged, re-chained gate decision appended to the example log: exit 1, the entry named', async () => {
    const dir = exampleCopy(await forged());
    const { code, stdout } = await cli(['verify'], dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^✖ \.aims-gate\/audit-log\.jsonl: intact, 37 entries, .*; 1 entry not written by whom it claims$/m,
    );
    expect(stdout).toContain(
      '✖ entry 37 claims to be a gate decision (deployment.approved) but is not signed by a gate key (it is unsigned): forged, or written by something other than the gate\n',
    );
    expect(JSON.parse((await cli(['verify', '-f', 'json'], dir)).stdout)).toMatchObject({
      ok: false,
      chain: true,
      signatures: { ok: false, failures: [{ seq: 37, line: 37 }] },
    });
    // The auditor's report never shows it as a gate decision: marked, named, and the report fails.
    const report = await cli(['report', '--today', '2026-11-03'], dir);
    expect(report.code).toBe(1);
    expect(report.stdout).toContain('1 entry FAILED: it claims to be the gate');
    expect(report.stdout).toMatch(
      /^\| 37 \| 2026-11-02T08:00:00\.000Z \| .*\| FORGED: not signed by a gate key \(unsigned\); it names as its writer aims-gate Action/m,
    );
    expect(report.stdout).toMatch(
      /^\| 10 \| .*\| 9c1d2e3f4a5b \| #412 \| .*\| https:\/\/github\.com\/acme\/ml-platform\/actions\/runs\/9876543210; signed by the gate key production deploy gate \(EXAMPLE ONLY\)/m,
    );
    // A trusted person's key naming the entry's login vouches for it: no longer "typed: unverified".
    expect(report.stdout).toMatch(
      /^\| 23 \| .*\| management review \| — \| gov-lead, signed by the person key gov-lead \(EXAMPLE ONLY\)/m,
    );
    // Nor does the inventory take it for the last deployment.
    expect((await cli(['inventory', '--today', '2026-11-03'], dir)).stderr).toContain(
      "aims-gate: 1 entry claims to be the gate's without a gate key's signature, and was left out; run aims-gate verify\n",
    );
    // Signed with a key of its own making: still no gate key the configuration lists.
    const stranger = ed25519Signer(
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    );
    const signed = await cli(['verify'], exampleCopy(await forged(stranger)));
    expect(signed.code).toBe(1);
    expect(signed.stdout).toMatch(
      /✖ entry 37 claims to be a gate decision .*a key the trusted configuration does not list under signers/,
    );
  });

  it('keygen writes a key only the user reads, never over another, and prints the line to list', async () => {
    const dir = tempRepo({});
    const key = join(dir, 'gate.pem');
    const made = await cli(['keygen', '-o', key, '--name', 'prod gate'], dir);
    expect(made.code).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(made.stdout).toMatch(
      /^signers:\n {2}- key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\S+\n {4}role: gate\n {4}name: "prod gate"\n$/m,
    );
    expect(made.stdout).not.toContain('PRIVATE KEY');
    expect(await cli(['keygen', '-o', key], dir)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('exists: keygen never overwrites a key'),
    });
    const printed = await cli(['keygen', '--role', 'app'], dir);
    expect(printed.stdout).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(printed.stderr).toContain('role: app');
    expect(await cli(['keygen', '--role', 'person'], dir)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--role must be one of gate, app'),
    });
  });

  it.runIf(spawnSync('ssh-keygen', ['-?']).error === undefined)(
    'record --sign-with signs through ssh-keygen; verify trusts the person through --allowed-signers',
    async () => {
      const dir = tempRepo(conformantRepo());
      const key = join(dir, 'id_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'li', '-f', key]);
      const recorded = await cli(
        [
          'record',
          '--type',
          'custom.fairness-review',
          '--system',
          'credit-scoring',
          '--actor',
          'li',
          '--sign-with',
          key,
        ],
        dir,
      );
      expect(recorded.code).toBe(0);
      expect(recorded.stderr).toMatch(
        /signed with SHA256:\S+, which \.github\/aims-gate\.yml does not list under signers/,
      );
      expect((await cli(['verify'], dir)).stdout).toMatch(
        /^ {2}1 signed by an untrusted key SHA256:\S+, which the configuration does not list$/m,
      );
      writeFileSync(
        join(dir, 'allowed_signers'),
        `li@example.com namespaces="aims-gate" ${readFileSync(`${key}.pub`, 'utf8')}`,
      );
      const trusted = await cli(['verify', '--allowed-signers', 'allowed_signers'], dir);
      expect(trusted.code).toBe(0);
      expect(trusted.stdout).toMatch(/^ {2}1 signed by the person key li@example\.com \(SHA256:/m);
      expect(
        await cli(
          [
            'record',
            '--type',
            'monitoring.alert',
            '--system',
            'credit-scoring',
            '--sign-with',
            join(dir, 'nokey'),
          ],
          dir,
        ),
      ).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('--sign-with'),
      });
      expect(await cli(['verify', '--allowed-signers', 'missing'], dir)).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('--allowed-signers missing: no such file'),
      });
    },
  );
});

describe('aims-gate record, verify, log and report', () => {
  it('records events, verifies the chain against the checkpoint, and lists them', async () => {
    const dir = tempRepo(conformantRepo());
    const first = await cli(
      [
        'record',
        '--type',
        'model.retrained',
        '--system',
        'credit-scoring',
        '--detail',
        'run=42',
        '--evidence',
        'models/credit-scoring/train.py',
        '--actor',
        'ml-bot',
      ],
      dir,
    );
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(
      /^recorded entry 1 \(model\.retrained, credit-scoring\) in \.aims-gate\/audit-log\.jsonl\ncheckpoint 1:[0-9a-f]{64}\n$/,
    );
    // An evaluation is recorded of what is committed, as of today.
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'documents');
    const check = await cli(['check', '--record'], dir);
    expect(check.code).toBe(0);
    const checkpoint = /checkpoint (2:[0-9a-f]{64})/.exec(check.stderr)?.[1];
    expect(checkpoint).toBeDefined();

    const verified = await cli(['verify', '--checkpoint', checkpoint!], dir);
    expect(verified).toMatchObject({
      code: 0,
      stdout: `✔ .aims-gate/audit-log.jsonl: intact, 2 entries, head ${checkpoint}; checkpoint matched, at entry 2, which no gate key signed: it proves something only if it was kept where the log's writers cannot reach (a commit status the App created, an anchor, a ticket)\n`,
    });
    const listed = (await cli(['log', '--system', 'credit-scoring'], dir)).stdout.trim().split('\n');
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatch(
      /^#1 {2}\S+ {2}model\.retrained {2}credit-scoring {2}by ml-bot \(typed: unverified\) {2}run=42$/,
    );
    expect((await cli(['log', '--type', 'evaluated', '--format', 'json'], dir)).stdout).toContain(
      '"type":"evaluated"',
    );
    expect(await cli(['log', '--system', 'credit-scorin'], dir)).toMatchObject({
      code: 0,
      stdout: '',
      stderr: 'aims-gate: no entry of .aims-gate/audit-log.jsonl matches --system credit-scorin\n',
    });

    // Truncation is invisible to the chain alone, and caught by the checkpoint.
    const log = join(dir, '.aims-gate/audit-log.jsonl');
    writeFileSync(log, `${readFileSync(log, 'utf8').split('\n')[0]}\n`);
    expect((await cli(['verify'], dir)).code).toBe(0);
    const truncated = await cli(['verify', '--checkpoint', checkpoint!], dir);
    expect(truncated.code).toBe(1);
    expect(truncated.stdout).toContain(
      'verification failed at entry 2 (line 2): the log ends at entry 1 but the checkpoint records entry 2',
    );
  });

  it('refuses bad input before writing anything: exit 2, plain messages', async () => {
    const dir = tempRepo(conformantRepo());
    const log = join(dir, '.aims-gate/audit-log.jsonl');
    expect(await cli(['record', '--type', 'retrained', '--system', 's'], dir)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('"retrained" is not an event type'),
    });
    expect(
      await cli(['record', '--type', 'custom.ok', '--system', 's', '--detail', 'no-equals'], dir),
    ).toMatchObject({ code: 2, stderr: expect.stringContaining('--detail takes key=value') });
    expect(
      await cli(['record', '--type', 'custom.ok', '--system', 's', '--detail', '1bad=x'], dir),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('detail key "1bad"'),
    });
    expect(existsSync(log)).toBe(false);
    expect(await cli(['verify'], dir)).toMatchObject({
      code: 2,
      stderr:
        'aims-gate: there is no audit log at .aims-gate/audit-log.jsonl\nRun "aims-gate verify --help" for usage.\n',
    });
    expect(await cli(['verify', '--log', log, '--checkpoint', '12'], dir)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--checkpoint takes SEQ:HASH'),
    });
    const unwritable = await cli(
      ['record', '--type', 'monitoring.alert', '--system', 's', '--log', '/proc/aims/log.jsonl'],
      dir,
    );
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).not.toMatch(/\n\s+at /);
  });

  it('a folder or an empty value for --log, an explicit log that is not there, a report of nothing: exit 2', async () => {
    const dir = tempRepo(conformantRepo());
    for (const command of ['verify', 'log', 'report', 'inventory', 'nc'])
      expect(await cli([command, '--log', 'models'], dir)).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(
          'models is a folder, not an audit log: name the log file (as models/audit-log.jsonl)',
        ),
      });
    const slashed = await cli(
      ['record', '--type', 'incident', '--system', 'credit-scoring', '--log', 'new/sub/'],
      dir,
    );
    expect(slashed).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('new/sub names a folder (it ends with a slash), not an audit log'),
    });
    expect(existsSync(join(dir, 'new'))).toBe(false);
    expect(await cli(['verify', '--log', 'models/credit-scoring/MODEL_CARD.md/log'], dir)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cannot be an audit log: a part of its path is a file, not a folder'),
    });
    expect(
      await cli(['record', '--type', 'incident', '--system', 'credit-scoring', '--log', ''], dir),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--log needs a value, not an empty one'),
    });
    for (const command of ['report', 'inventory'])
      expect(await cli([command, '--log', 'typo.jsonl'], dir)).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('there is no audit log at typo.jsonl (--log typo.jsonl)'),
      });
    const empty = tempRepo({ 'README.md': '# nothing here\n' });
    for (const command of ['report', 'inventory'])
      expect(await cli([command], empty)).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('no AI systems found in '),
      });
  });

  it('verify names the line of a broken log: exit 1', async () => {
    const dir = tempRepo({
      ...conformantRepo(),
      '.aims-gate/audit-log.jsonl': readFileSync(join(EXAMPLE, '.aims-gate/audit-log.jsonl'), 'utf8').replace(
        '"tier":"high"',
        '"tier":"limited"',
      ),
    });
    const { code, stdout } = await cli(['verify'], dir);
    expect(code).toBe(1);
    expect(stdout).toBe(
      '✖ .aims-gate/audit-log.jsonl: verification failed at entry 3 (line 3): entry 3 was changed after it was written: its content does not match its hash\n  The 2 entries before it chain to each other; only a checkpoint kept outside the log, or an anchor, proves they were not rewritten.\n',
    );
    // log and report mark every entry from the break on: the chain no longer vouches for them.
    const listed = await cli(['log'], dir);
    expect(listed.code).toBe(1);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 2).every((l) => !l.includes('⚠'))).toBe(true);
    expect(lines.slice(2).every((l) => l.endsWith('⚠ after the break'))).toBe(true);
    expect(listed.stderr).toContain('the log fails verification at entry 3');
    const report = await cli(['report', '--today', '2026-11-01'], dir);
    expect(report.stdout).toMatch(/\| 3 ⚠ after the break \|/);
    expect(report.stdout).not.toMatch(/\| 2 ⚠ after the break \|/);
  });

  it('report writes Markdown with the Statement of Applicability', async () => {
    const { code, stdout } = await cli(['report', EXAMPLE, '--today', '2026-11-01']);
    expect(code).toBe(0);
    expect(stdout).toContain('## 9. Statement of Applicability (ISO/IEC 42001:2023 Annex A)');
    expect(stdout.match(/^\| A\.\d+\.\d+(\.\d+)? /gm)).toHaveLength(38);
  });
});

describe('the CLI as a new user meets it (issue 12)', () => {
  it('check from a system’s folder, or naming it, finds the repository and checks that system: no false pass', async () => {
    const repo = tempRepo(readTree(EXAMPLE));
    git(repo, 'init', '-q');
    const inside = await cli(['check', '--today', '2026-11-01'], join(repo, 'models/churn-predictor'));
    expect(inside.code).toBe(1);
    expect(inside.stdout).toContain('aims-gate · 1 AI system');
    expect(inside.stdout).toContain('policy iso42001-baseline + .github/aims-gate.yml');
    expect(inside.stdout).toContain('models/churn-predictor/impact-assessment.yml:17');
    const named = await cli(
      ['check', 'models/churn-predictor', '--today', '2026-11-01', '--format', 'sarif'],
      repo,
    );
    expect(named.code).toBe(1);
    // SARIF paths stay relative to the repository's root, whatever folder was named.
    expect(named.stdout).toContain('"uri": "models/churn-predictor/impact-assessment.yml"');
    const folder = await cli(['check', '--today', '2026-11-01'], join(repo, 'models'));
    expect(folder.stdout).toContain('aims-gate · 3 AI systems');
  });

  it('finding no AI system is an error (exit 2) that says where it looked, unless --allow-empty', async () => {
    const empty = tempRepo({ 'README.md': '# nothing governed here\n' });
    git(empty, 'init', '-q');
    const { code, stdout, stderr } = await cli(['check'], empty);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^aims-gate: no AI systems found in .*--allow-empty passes anyway\n/);
    expect((await cli(['check', '--allow-empty'], empty)).code).toBe(0);
  });

  it('-h and --help on every command print its own usage and exit 0; short flags work', async () => {
    for (const command of ['check', 'init', 'explain', 'record', 'verify', 'log', 'report']) {
      for (const flag of ['--help', '-h']) {
        const { code, stdout, stderr } = await cli([command, flag]);
        expect([code, stderr], `${command} ${flag}`).toEqual([0, '']);
        expect(stdout.startsWith(`Usage: aims-gate ${command}`)).toBe(true);
      }
    }
    const short = await cli(['check', EXAMPLE, '-f', 'json', '--today', '2026-11-01']);
    expect(JSON.parse(short.stdout).systems).toHaveLength(3);
    const unknown = await cli(['check', '--nope']);
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      'aims-gate check: unknown option --nope\nRun "aims-gate check --help" for usage.\n',
    ]);
  });

  it('control characters from a document or the log are shown escaped; in Actions, no workflow command gets through', async () => {
    const files = conformantRepo();
    const card = 'models/credit-scoring/MODEL_CARD.md';
    files[card] = files[card]!.replace(/version: .*/, 'version: "1.0\\n::error::forged\\u001b[2J"');
    const repo = tempRepo(files);
    const { stdout } = await cli(['check', repo, '--today', '2026-11-01']);
    expect(stdout).toContain('1.0\\n::error::forged\\u001b[2J');
    expect(stdout).not.toMatch(/^::error::/m);
    expect(stdout).not.toContain('\u001b[2J');

    const inActions = await cli(['check', repo, '--today', '2026-11-01'], undefined, {
      GITHUB_ACTIONS: 'true',
    });
    const [first, ...rest] = inActions.stdout.trimEnd().split('\n');
    const token = /^::stop-commands::(\S+)$/.exec(first!)?.[1];
    expect(token).toBeTruthy();
    expect(rest.at(-1)).toBe(`::${token}::`);

    const log = join(repo, 'log.jsonl');
    await cli([
      'record',
      repo,
      '--log',
      log,
      '--type',
      'monitoring.alert',
      '--system',
      'credit-scoring',
      '--detail',
      'note=a\n#2 forged line\u001b[31m',
    ]);
    const listed = await cli(['log', repo, '--log', log]);
    expect(listed.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(listed.stdout).toContain('note=a\\n#2 forged line\\u001b[31m');
  });
});

describe('explain, for every id the tool prints', () => {
  it('explains the checks aims-gate makes itself, rules disabled here (by whom, why), and `when` in words', async () => {
    const repo = tempRepo({
      ...conformantRepo(),
      '.github/aims-gate.yml':
        'systems: [models/*]\noverrides:\n  card.license: { disabled: true, reason: Licensing is tracked in the legal register. }\n',
    });
    const orphan = await cli(['explain', 'inventory.orphan-document'], repo);
    expect(orphan.code).toBe(0);
    expect(orphan.stdout).toContain(
      'inventory.orphan-document: Every governance document belongs to a declared AI system',
    );
    const disabled = await cli(['explain', 'card.license'], join(repo, 'models'));
    expect([disabled.code, disabled.stdout]).toEqual([
      0,
      'card.license: disabled here: Licensing is tracked in the legal register.\n',
    ]);
    const tiered = await cli(['explain', 'card.evaluation-results'], repo);
    expect(tiered.stdout).toContain('applies   where tier is high or prohibited');
    expect((await cli(['explain', 'card.retirement'], repo)).stdout).toContain(
      'applies   where status is retired',
    );
  });
});

describe('aims-gate validate', () => {
  it('tells every configuration problem at once, in the order of the file, with its line', async () => {
    const repo = tempRepo({
      ...conformantRepo(),
      '.github/aims-gate.yml': 'systems: 42\nfail-on: sometimes\nbogus: 1\n',
    });
    const { code, stdout } = await cli(['validate'], repo);
    expect(code).toBe(2); // a configuration error, as everywhere
    expect(stdout.split('\n').filter((l) => /^\.github\/aims-gate\.yml:\d+:/.test(l))).toEqual([
      '.github/aims-gate.yml:1: systems must be a list',
      '.github/aims-gate.yml:2: fail-on must be one of: major, minor, never',
      '.github/aims-gate.yml:3: unknown key "bogus" in the document',
    ]);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('invalid: the configuration (3 problems)');
  });

  it('tells every document problem, and passes a valid repository', async () => {
    const files = conformantRepo();
    files['models/credit-scoring/risk-assessment.yml'] = files[
      'models/credit-scoring/risk-assessment.yml'
    ]!.replace(/score: 16/, 'score: sixteen');
    const broken = await cli(['validate'], tempRepo(files));
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^models\/credit-scoring\/risk-assessment\.yml:\d+:\d+: .*score/m);
    expect(broken.stdout.trimEnd().split('\n').at(-1)).toMatch(/^invalid: 1 problem, checking /);
    const valid = await cli(['validate'], EXAMPLE);
    expect([valid.code, valid.stdout]).toEqual([
      0,
      'valid: .github/aims-gate.yml, 8 documents of 3 AI systems\n',
    ]);
  });

  it('refuses a symbolic link or a FIFO in place of a document, by name', async () => {
    const files = conformantRepo();
    const repo = tempRepo(files);
    const card = join(repo, 'models/credit-scoring/MODEL_CARD.md');
    rmSync(card);
    writeFileSync(join(repo, 'card-elsewhere.md'), files['models/credit-scoring/MODEL_CARD.md']!);
    symlinkSync('../../card-elsewhere.md', card);
    const risk = join(repo, 'models/credit-scoring/risk-assessment.yml');
    rmSync(risk);
    execFileSync('mkfifo', [risk]); // a reader that opened it would wait forever
    const { code, stdout } = await cli(['validate'], repo);
    expect(code).toBe(1);
    expect(stdout).toContain(
      'models/credit-scoring/MODEL_CARD.md: cannot be read: the path is a symbolic link, not a regular file',
    );
    expect(stdout).toContain(
      'models/credit-scoring/risk-assessment.yml: cannot be read: the path is a FIFO (named pipe), not a regular file',
    );
  });
});

describe('errors a person can cause, said plainly', () => {
  it('--output into a folder that does not exist, and --base outside a git repository', async () => {
    const repo = tempRepo(conformantRepo());
    const output = await cli(['check', repo, '--today', '2026-11-01', '-o', join(repo, 'nope/report.json')]);
    expect([output.code, output.stderr.split('\n')[0]]).toEqual([
      2,
      `aims-gate: cannot write ${join(repo, 'nope/report.json')}: the folder ${join(repo, 'nope')} does not exist`,
    ]);
    const base = await cli(['check', repo, '--base', 'main']);
    expect(base.code).toBe(2);
    expect(base.stderr).toContain('is not in a git repository, so there is no "main" to compare with');
  });
});

describe('aims-gate test', () => {
  it('runs the policy against fixture repositories and compares each with its expect.yml, as conftest verify', async () => {
    const { '.github/aims-gate.yml': config, ...documents }: Record<string, string> = conformantRepo();
    const inCase = (name: string, files: Record<string, string>, expect: string) =>
      Object.fromEntries([
        ...Object.entries(files).map(([path, text]) => [`policy-tests/${name}/${path}`, text]),
        [`policy-tests/${name}/expect.yml`, expect],
      ]);
    const broken = {
      ...documents,
      'models/credit-scoring/risk-assessment.yml': documents[
        'models/credit-scoring/risk-assessment.yml'
      ]!.replace('score: 16', 'score: 15'),
    };
    const repo = tempRepo({
      '.github/aims-gate.yml': config!,
      ...inCase('conformant', documents, 'today: 2026-11-01\nfindings: []\n'),
      ...inCase(
        'score-mismatch',
        broken,
        'today: 2026-11-01\nfindings:\n  - { rule: risk.scores, system: credit-scoring }\n',
      ),
    });
    const passing = await cli(['test'], repo);
    expect(passing.stdout).toBe(
      'PASS  conformant\nPASS  score-mismatch\n\n2 cases: 2 passed, 0 failed (policy: this repository)\n',
    );
    expect(passing.code).toBe(0);

    // A case whose expectation the policy does not meet fails, and says which way.
    writeFiles(repo, inCase('wrong', documents, 'today: 2026-11-01\nfindings: [card.license]\n'));
    const failing = await cli(['test'], repo);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('FAIL  wrong\n      expected card.license, not found\n');
    expect(failing.stdout.trimEnd().split('\n').at(-1)).toBe(
      '3 cases: 2 passed, 1 failed (policy: this repository)',
    );
  });
});

describe('the in-repository log on two branches', () => {
  it('merges the anchors beside the log the same way: one side’s, or a refusal that says to anchor again', async () => {
    const dir = tempRepo({});
    const anchor = (seq: number) => `{"seq":${seq},"hash":"${'a'.repeat(64)}","tsa":"t","token":"AA=="}\n`;
    const files = (ancestor: string, ours: string, theirs: string) => {
      writeFiles(dir, { O: ancestor, A: ours, B: theirs });
      return ['merge-log', ...['O', 'A', 'B'].map((f) => join(dir, f)), '.aims-gate/audit-log.jsonl.anchors'];
    };
    expect((await cli(files(anchor(1), anchor(1), anchor(1) + anchor(2)), dir)).code).toBe(0);
    expect(readFileSync(join(dir, 'A'), 'utf8')).toBe(anchor(1) + anchor(2));
    const both = await cli(files(anchor(1), anchor(1) + anchor(2), anchor(1) + anchor(3)), dir);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain(
      'both branches added anchors to .aims-gate/audit-log.jsonl.anchors (after anchor 1: 1 here, 1 on the other branch)',
    );
    expect(both.stderr).toContain('anchor its head again (aims-gate anchor)');
    expect(readFileSync(join(dir, 'A'), 'utf8')).toBe(anchor(1) + anchor(2));
  });
});

describe('record writes only what a person may write (issue 13)', () => {
  it('refuses the gate’s own event types and systems nobody knows; a system known only from the log is fine', async () => {
    const repo = tempRepo(conformantRepo());
    const log = join(repo, 'log.jsonl');
    const forged = await cli([
      'record',
      repo,
      '--log',
      log,
      '--type',
      'deployment.approved',
      '--system',
      'credit-scoring',
      '--actor',
      'anyone',
    ]);
    expect(forged.code).toBe(2);
    expect(forged.stderr).toContain('deployment.approved is written only by the deployment gate');
    const typo = await cli([
      'record',
      repo,
      '--log',
      log,
      '--type',
      'model.retrained',
      '--system',
      'credit-scorin',
    ]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      '--system credit-scorin is no AI system of this repository (credit-scoring)',
    );
    expect(existsSync(log)).toBe(false);
    expect(
      (await cli(['record', repo, '--log', log, '--type', 'model.retrained', '--system', 'credit-scoring']))
        .code,
    ).toBe(0);
    // Retired and removed from the repository: the log still knows it.
    rmSync(join(repo, 'models/credit-scoring'), { recursive: true });
    expect(
      (await cli(['record', repo, '--log', log, '--type', 'system.retired', '--system', 'credit-scoring']))
        .code,
    ).toBe(0);
  });
});

describe('what a new user tried next (a second pair of eyes)', () => {
  it('an empty config, a missing option value, a nested init, an empty validate, fixtures and a case that checks nothing', async () => {
    const empty = tempRepo({ ...conformantRepo(), '.github/aims-gate.yml': '# to be written\n' });
    const read = await cli(['check', '--today', '2026-11-01'], empty);
    expect(read.code).toBe(2);
    expect(read.stderr).not.toContain('Cannot read properties');
    expect(read.stderr).toContain('.github/aims-gate.yml');

    expect((await cli(['check', '--config', '--format', 'json'])).stderr.split('\n')[0]).toBe(
      'aims-gate check: --config needs a value',
    );

    const repo = tempRepo({ '.github/aims-gate.yml': 'systems: [models/*]\n' });
    expect((await cli(['init', 'models/deep/nested/sys'], repo)).stderr).toContain(
      'models/deep/nested/sys is not a system folder by the `systems` patterns',
    );

    const bare = tempRepo({ 'README.md': '# nothing\n' });
    git(bare, 'init', '-q');
    expect((await cli(['validate'], bare)).code).toBe(2);

    // Fixtures of `aims-gate test` are not orphans of the repository; a case without a system fails.
    const { '.github/aims-gate.yml': config, ...documents }: Record<string, string> = conformantRepo();
    const withTests = tempRepo({
      '.github/aims-gate.yml': config!,
      ...documents,
      ...Object.fromEntries(Object.entries(documents).map(([p, t]) => [`policy-tests/ok/${p}`, t])),
      'policy-tests/ok/expect.yml': 'today: 2026-11-01\nfindings: []\n',
      'policy-tests/nothing/expect.yml': 'findings: []\n',
    });
    const checked = await cli(['check', '--today', '2026-11-01', '--format', 'json'], withTests);
    expect(JSON.parse(checked.stdout).findings.map((f: { rule: string }) => f.rule)).not.toContain(
      'inventory.orphan-document',
    );
    const tested = await cli(['test'], withTests);
    expect(tested.code).toBe(1);
    expect(tested.stdout).toContain(
      'FAIL  nothing\n      the case holds no AI system, so it checked nothing',
    );
    expect(tested.stdout).toContain('PASS  ok\n');
  });
});

describe('aims-gate inventory (issue 13)', () => {
  it('lists the systems reconciled with the log, as text, CSV and JSON', async () => {
    const repo = tempRepo(readTree(EXAMPLE));
    const log = join(repo, '.aims-gate/audit-log.jsonl');
    // Retired in the log while its card still says production; and a system the repository no longer has.
    await cli(['record', repo, '--type', 'system.retired', '--system', 'churn-predictor', '--log', log]);
    rmSync(join(repo, 'models/legacy-recommender'), { recursive: true });
    writeFileSync(join(repo, 'models/.keep'), '');

    const json = JSON.parse((await cli(['inventory', repo, '-f', 'json', '--today', '2026-11-01'])).stdout);
    const byId = Object.fromEntries(json.map((r: { id: string }) => [r.id, r]));
    expect(byId['credit-scoring']).toMatchObject({
      tier: 'high',
      status: 'production',
      owner: '@acme/risk-ml',
      present: ['model-card', 'risk-assessment', 'impact-assessment'],
      lastEvaluation: '2026-10-30 pass',
      lastDeployment: { production: expect.stringMatching(/^2026-06-21/) },
      warning: '',
    });
    expect(byId['churn-predictor'].warning).toBe('retired in the log, but its documents say production');
    expect(byId['legacy-recommender']).toMatchObject({
      path: '',
      warning: 'retired: known only from the log',
    });

    const csv = (await cli(['inventory', repo, '-f', 'csv', '--today', '2026-11-01'])).stdout;
    const [header, ...rows] = csv.trimEnd().split('\r\n');
    expect(header).toBe(
      'id,path,owner,tier,status,documents required,documents present,last evaluation,deployed:production,warning',
    );
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.startsWith('credit-scoring,'))).toContain(",'@acme/risk-ml,high,production,");
  });
});
