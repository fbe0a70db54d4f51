import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../src/audit/entry.js';
import { ed25519Signer, parsePublicKey, type TrustedKey } from '../src/audit/signature.js';
import { main, type Output } from '../src/cli/main.js';
import {
  type Envelope,
  requirementProblem,
  signStatement,
  verificationSummary,
  verifyAttestation,
} from '../src/export/attestation.js';
import { exportFacts } from '../src/export/context.js';
import { cycloneDx } from '../src/export/cyclonedx.js';
import { spdx } from '../src/export/spdx.js';
import { MemorySource } from '../src/source.js';
import { LocalSource } from '../src/sources/local.js';
import { conformantRepo, EXAMPLE, TODAY } from './helpers.js';
import { spdxProblems, unstatedOfDatasets } from './spdx-model.js';

// biome-ignore lint/suspicious/noExplicitAny: the exported JSON, read field by field
type Json = Record<string, any>;

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const exampleFacts = () =>
  exportFacts(new LocalSource(EXAMPLE), {
    repository: 'acme/ml-platform',
    commit: 'c'.repeat(40),
    commitTime: '2026-10-30T12:00:00Z',
    today: TODAY,
    now: new Date('2026-11-01T09:30:00.123Z'),
    uuid: '3e671687-395b-41f5-a30f-a58921a69b79',
  });

const strict = new Validation.JsonStrictValidator(Spec.Version.v1dot6);

describe('CycloneDX 1.6', () => {
  it('the example validates strict against the official 1.6 schema, one modelCard per system', async () => {
    const { systems, context } = await exampleFacts();
    const bom = cycloneDx(systems, context) as { components: Json[] };
    expect(await strict.validate(JSON.stringify(bom))).toBeNull();
    const models = bom.components.filter((c) => c.type === 'machine-learning-model');
    expect(models.map((m) => m.name)).toEqual(['churn-predictor', 'credit-scoring', 'legacy-recommender']);
    for (const model of models) expect(model.modelCard).toBeDefined();

    const credit = models.find((m) => m.name === 'credit-scoring')!;
    // model-index metrics, as the card writes them, with the evaluation dataset as the slice.
    expect(credit.modelCard.quantitativeAnalysis.performanceMetrics).toContainEqual({
      type: 'demographic_parity_difference',
      value: '0.04',
      slice: 'Loan applications holdout 2025',
    });
    expect(credit.modelCard.modelParameters).toMatchObject({
      task: 'tabular-classification',
      modelArchitecture: 'Gradient-boosted decision trees (XGBoost 2.1), 400 trees, depth 6',
      datasets: [{ ref: 'data:acme/loan-applications-2019-2025' }],
    });
    const considerations = credit.modelCard.considerations;
    expect(considerations.useCases[0]).toMatch(/^Ranks consumer loan applications in the EU/);
    expect(considerations.technicalLimitations[0]).toMatch(/^Applicants with short credit histories/);
    expect(considerations.ethicalConsiderations[0]).toEqual({
      name: 'Young applicants are refused credit more often than their repayment behaviour justifies.',
      mitigationStrategy:
        'R-001: Unfair outcomes for young applicants; R-003: Automation bias of credit officers',
    });
    expect(considerations.fairnessAssessments[0].groupAtRisk).toBe('Applicants under 25');
    expect(credit.properties).toEqual(
      expect.arrayContaining([
        { name: 'aims-gate:tier', value: 'high' },
        { name: 'aims-gate:status', value: 'production' },
        { name: 'aims-gate:owner', value: '@acme/risk-ml' },
      ]),
    );
    // Each document by its address at the commit and the SHA-256 of its bytes.
    const card = credit.externalReferences.find((r: { type: string }) => r.type === 'model-card');
    expect(card.url).toBe(
      `https://github.com/acme/ml-platform/blob/${'c'.repeat(40)}/models/credit-scoring/MODEL_CARD.md`,
    );
    expect(card.hashes).toEqual([
      { alg: 'SHA-256', content: sha256(readFileSync(join(EXAMPLE, 'models/credit-scoring/MODEL_CARD.md'))) },
    ]);
    const data = bom.components.find((c) => c['bom-ref'] === 'data:acme/loan-applications-2019-2025')!;
    expect(data.type).toBe('data');
    expect(data.properties).toContainEqual({
      name: 'aims-gate:declared-in',
      value: 'models/credit-scoring/MODEL_CARD.md:10',
    });
  });

  it('the validator is strict: a key the schema does not know is refused', async () => {
    const { systems, context } = await exampleFacts();
    const bom = cycloneDx(systems, context) as { components: Json[] };
    bom.components[0]!.modelCard.riskTier = 'high';
    expect(await strict.validate(JSON.stringify(bom))).not.toBeNull();
  });
});

it('a card in another format (a MinBZK system card, YAML) exports as well, its sections as their values', async () => {
  const files: Record<string, string> = conformantRepo();
  delete files['models/credit-scoring/MODEL_CARD.md'];
  files['models/credit-scoring/system_card.yaml'] =
    `name: "Waarderen WOZ-objecten"\nowners:\n  - organization: "Gemeente Oirschot"\nstatus: "ontwikkeling"\npublication_category: "Hoog-risico AI"\ndescription: "Het bepalen van de WOZ-waarde."\nrisk_management: "Ratio-analyses per wijk."\nused_data: "WOZ-waarde, bouwjaar, adres."\n`;
  files['.github/aims-gate.yml'] =
    'systems:\n  - path: models/*\n    documents: { model-card: system_card.yaml }\n';
  const { systems, context } = await exportFacts(new MemorySource(files), {
    repository: 'gemeente/woz',
    today: TODAY,
  });
  expect(systems[0]).toMatchObject({ id: 'Waarderen WOZ-objecten', tier: 'high' });
  expect(systems[0]!.training).toBe('WOZ-waarde, bouwjaar, adres.');
  expect(await strict.validate(JSON.stringify(cycloneDx(systems, context)))).toBeNull();
  {
    const document = spdx(systems, context) as { '@graph': unknown[] };
    expect(spdxProblems(document)).toEqual(unstatedOfDatasets(document));
  }
});

it('exports sections as written: with their subsections, a code block whole, punctuation kept', async () => {
  const files: Record<string, string> = conformantRepo();
  files['models/credit-scoring/MODEL_CARD.md'] = files['models/credit-scoring/MODEL_CARD.md']!.replace(
    /## Bias, Risks, and Limitations[\s\S]*?(?=## Training Details)/,
    '## Bias, Risks, and Limitations\n\nScores for under-25s are less reliable.\n\n### Recommendations\n\nRe-check declines of under-25s.\n\n',
  ).replace(
    /### Training Data\n[\s\S]*?(?=### Preprocessing)/,
    '### Training Data\n\nLoan applications, 2019–2025:\n\n```sh\n# not a heading\nmake extract\n```\n\n',
  );
  const { systems } = await exportFacts(new MemorySource(files), { repository: 'acme/ml', today: TODAY });
  expect(systems[0]!.limitations).toEqual([
    'Scores for under-25s are less reliable.\n\n### Recommendations\n\nRe-check declines of under-25s.',
  ]);
  expect(systems[0]!.training).toBe(
    'Loan applications, 2019–2025:\n\n```sh\n# not a heading\nmake extract\n```',
  );
});

/** The shared corpus of 2,511 Hub cards, where this checkout sits beside it (skipped elsewhere). */
const HUB_CARDS = join(import.meta.dirname, '..', '..', 'shared', 'corpus', 'hub-model-cards');

it.skipIf(!existsSync(HUB_CARDS))(
  'real Hub cards (every 20th of the corpus) export valid CycloneDX and SPDX',
  async () => {
    const files: Record<string, string> = { '.github/aims-gate.yml': 'systems: [models/*]\n' };
    const names = readdirSync(HUB_CARDS)
      .sort()
      .filter((_, i) => i % 20 === 0);
    for (const [i, name] of names.entries())
      files[`models/card-${i}/README.md`] = readFileSync(join(HUB_CARDS, name), 'utf8');
    const { systems, context } = await exportFacts(new MemorySource(files), {
      repository: 'corpus/hub',
      commit: 'c'.repeat(40),
      today: TODAY,
    });
    expect(systems).toHaveLength(names.length);
    expect(systems.filter((s) => s.metrics.length).length).toBeGreaterThan(0);
    expect(await strict.validate(JSON.stringify(cycloneDx(systems, context)))).toBeNull();
    {
      const document = spdx(systems, context) as { '@graph': unknown[] };
      expect(spdxProblems(document)).toEqual(unstatedOfDatasets(document));
    }
  },
);

describe('SPDX 3.0.1', () => {
  it('the example meets the SPDX 3.0.1 model: every class, required property, cardinality and vocabulary', async () => {
    const { systems, context } = await exampleFacts();
    const document = spdx(systems, context) as { '@context': string; '@graph': Json[] };
    expect(document['@context']).toBe('https://spdx.org/rdf/3.0.1/spdx-context.jsonld');
    expect(spdxProblems(document)).toEqual(unstatedOfDatasets(document));
    const packages = document['@graph'].filter((e) => e.type === 'ai_AIPackage');
    expect(packages.map((p) => p.name)).toEqual(['churn-predictor', 'credit-scoring', 'legacy-recommender']);
    const credit = packages.find((p) => p.name === 'credit-scoring')!;
    expect(credit).toMatchObject({
      ai_safetyRiskAssessment: 'high',
      ai_standardCompliance: ['ISO/IEC 42001:2023'],
      ai_autonomyType: 'no',
      software_packageVersion: '3.2.0',
      releaseTime: '2026-10-30T12:00:00Z',
    });
    expect(credit.ai_limitation).toMatch(/^Applicants with short credit histories/);
    expect(credit.ai_metric).toContainEqual({
      type: 'DictionaryEntry',
      key: 'accuracy (Loan applications holdout 2025)',
      value: '0.91',
    });
    const churn = packages.find((p) => p.name === 'churn-predictor')!;
    expect(churn.ai_safetyRiskAssessment).toBe('medium');
    const trained = document['@graph'].find(
      (e) => e.type === 'Relationship' && e.from === credit.spdxId && e.relationshipType === 'trainedOn',
    )!;
    // A dataset is the Dataset profile's DatasetPackage, with what the card says of it and no more.
    expect(document['@graph'].find((e) => e.spdxId === trained.to[0])).toMatchObject({
      type: 'dataset_DatasetPackage',
      name: 'acme/loan-applications-2019-2025',
      software_primaryPurpose: 'data',
      dataset_datasetType: ['noAssertion'],
    });
    const tested = document['@graph'].find(
      (e) => e.type === 'Relationship' && e.from === credit.spdxId && e.relationshipType === 'testedOn',
    );
    for (const to of tested?.to ?? [])
      expect(document['@graph'].find((e) => e.spdxId === to)?.type).toBe('dataset_DatasetPackage');
    expect(unstatedOfDatasets(document).length).toBeGreaterThan(0);
    const creation = document['@graph'].find((e) => e.type === 'CreationInfo')!;
    expect(creation.created).toBe('2026-11-01T09:30:00Z');
  });

  it('the model check finds what a document lacks or gets wrong', async () => {
    const { systems, context } = await exampleFacts();
    const document = spdx(systems, context) as { '@graph': Json[] };
    const pkg = document['@graph'].find((e) => e.type === 'ai_AIPackage')!;
    delete pkg.software_packageVersion;
    pkg.ai_safetyRiskAssessment = 'critical';
    pkg.ai_limitation = ['one', 'two'];
    pkg.riskTier = 'high';
    const problems = spdxProblems(document).join('\n');
    expect(problems).toMatch(/software_packageVersion is required \(minCount 1\)/);
    expect(problems).toMatch(/"critical" is not in AI\/SafetyRiskAssessmentType/);
    expect(problems).toMatch(/ai_limitation takes one value, not a list/);
    expect(problems).toMatch(/AI\/AIPackage has no property riskTier/);
  });
});

const newSigner = () =>
  ed25519Signer(
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  );

describe('the signed verification summary', () => {
  const gate = newSigner();
  const trusted: TrustedKey[] = [{ key: gate.publicKey, role: 'gate', name: 'deploy gate' }];
  const statement = verificationSummary({
    repository: 'acme/ml-platform',
    repositoryUrl: 'https://github.com/acme/ml-platform',
    commit: 'c'.repeat(40),
    bom: { name: 'bom.cdx.json', sha256: 'b'.repeat(64) },
    tier: 'high',
    passed: true,
    policy: { uri: '.github/aims-gate.yml', sha256: 'a'.repeat(64) },
    time: '2026-11-01T09:30:00Z',
    environment: 'production',
  });

  it('is an in-toto Statement v1 with an SLSA VSA v1 predicate naming the tier', () => {
    expect(statement).toMatchObject({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [
        { name: 'git+https://github.com/acme/ml-platform', digest: { gitCommit: 'c'.repeat(40) } },
        { name: 'bom.cdx.json', digest: { sha256: 'b'.repeat(64) } },
      ],
      predicateType: 'https://slsa.dev/verification_summary/v1',
      predicate: {
        verifier: { id: 'https://github.com/aims-gate/aims-gate' },
        timeVerified: '2026-11-01T09:30:00Z',
        resourceUri: `git+https://github.com/acme/ml-platform@${'c'.repeat(40)}`,
        policy: { uri: '.github/aims-gate.yml', digest: { sha256: 'a'.repeat(64) } },
        verificationResult: 'PASSED',
        verifiedLevels: ['AIMS_GATE_TIER_HIGH'],
      },
    });
    expect(verificationSummary({ ...baseInput(), passed: false }).predicate.verifiedLevels).toEqual([
      'FAILED',
    ]);
  });

  it('round-trips through DSSE: the keyid is the fingerprint of the key listed under signers', () => {
    const envelope = signStatement(statement, gate);
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(envelope.signatures[0]!.keyid).toBe(parsePublicKey(gate.publicKey).fingerprint);
    const check = verifyAttestation(JSON.stringify(envelope), trusted);
    expect(check).toMatchObject({ ok: true, signer: 'gate key deploy gate' });
    expect(check.ok && check.statement).toEqual(statement);
  });

  it('refuses a changed payload', () => {
    const envelope = signStatement(statement, gate);
    const changed = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    changed.predicate.verifiedLevels = ['AIMS_GATE_TIER_PROHIBITED'];
    const tampered: Envelope = {
      ...envelope,
      payload: Buffer.from(JSON.stringify(changed)).toString('base64'),
    };
    const check = verifyAttestation(JSON.stringify(tampered), trusted);
    expect(check).toMatchObject({ ok: false });
    expect(!check.ok && check.reason).toMatch(/does not hold for any gate or app key/);
    // Nor may the payload type be swapped: it is signed with the payload (PAE).
    const retyped = { ...envelope, payloadType: 'application/json' };
    expect(verifyAttestation(JSON.stringify(retyped), trusted).ok).toBe(false);
  });

  it('refuses another key, a person key and a key rotated out before the statement', () => {
    const other = signStatement(statement, newSigner());
    expect(verifyAttestation(JSON.stringify(other), trusted).ok).toBe(false);
    const signed = JSON.stringify(signStatement(statement, gate));
    expect(verifyAttestation(signed, [{ key: gate.publicKey, role: 'person' }])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/lists no gate or app key/),
    });
    expect(
      verifyAttestation(signed, [{ key: gate.publicKey, role: 'gate', until: '2026-10-31' }]),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/trusted only until 2026-10-31/),
    });
    expect(verifyAttestation('not json', trusted).ok).toBe(false);
    // URL-safe base64, which DSSE allows, reads the same.
    const envelope = signStatement(statement, gate);
    const urlSafe = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_');
    const safe = {
      ...envelope,
      payload: urlSafe(envelope.payload),
      signatures: [{ ...envelope.signatures[0]!, sig: urlSafe(envelope.signatures[0]!.sig) }],
    };
    expect(verifyAttestation(JSON.stringify(safe), trusted).ok).toBe(true);
  });

  it('says what an admission policy asks: passed, at a tier or above, for a commit', () => {
    expect(requirementProblem(statement, { tier: 'high', commit: 'c'.repeat(40) })).toBeUndefined();
    expect(requirementProblem(statement, { tier: 'limited' })).toBeUndefined();
    expect(requirementProblem(statement, { tier: 'prohibited' })).toMatch(
      /approved at tier high, not at tier prohibited/,
    );
    expect(requirementProblem(statement, { commit: 'd'.repeat(40) })).toMatch(/not d{40}/);
    const failed = verificationSummary({ ...baseInput(), passed: false });
    expect(requirementProblem(failed, {})).toMatch(/FAILED/);
  });
});

function baseInput() {
  return {
    repository: 'acme/ml-platform',
    commit: 'c'.repeat(40),
    tier: 'high' as const,
    passed: true,
    policy: { uri: '.github/aims-gate.yml' },
    time: '2026-11-01T09:30:00Z',
  };
}

describe('aims-gate export and verify-attestation', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    const output: Output = { out: (t) => out.push(t), err: (t) => err.push(t), color: false };
    return { output, out, err };
  };

  it('signs the committed example with the gate key and verifies it against the listed signers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aims-export-'));
    temps.push(dir);
    const repo = join(dir, 'repo');
    cpSync(EXAMPLE, repo, { recursive: true });
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    writeFileSync(join(dir, 'gate.pem'), pem, { mode: 0o600 });
    const config = join(repo, '.github/aims-gate.yml');
    // The example's own gate key is listed, for show; this one is listed beside it.
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(
        'signers:\n',
        `signers:\n  - key: ${ed25519Signer(pem).publicKey}\n    role: gate\n    name: test gate\n`,
      ),
    );
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, ...args], {
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@e',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@e',
        },
      }).toString();
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'example');
    const commit = git('rev-parse', 'HEAD').trim();

    const bom = io();
    expect(
      await main(
        ['export', repo, '-f', 'cyclonedx', '-o', join(dir, 'bom.cdx.json'), '--today', TODAY],
        bom.output,
      ),
    ).toBe(0);
    expect(await strict.validate(readFileSync(join(dir, 'bom.cdx.json'), 'utf8'))).toBeNull();

    const signed = io();
    const envelopeFile = join(dir, 'attestation.dsse.json');
    const code = await main(
      [
        'export',
        repo,
        '-f',
        'intoto',
        '--signing-key',
        join(dir, 'gate.pem'),
        '--bom',
        join(dir, 'bom.cdx.json'),
        '-o',
        envelopeFile,
        '--today',
        TODAY,
      ],
      signed.output,
    );
    expect(signed.err.join('')).toMatch(/FAILED at tier high, signed by SHA256:/);
    expect(code).toBe(0);
    const check = io();
    // The example fails its own policy (it carries a blocking finding on purpose): signed, but not approved.
    expect(
      await main(
        ['verify-attestation', envelopeFile, '--dir', repo, '--trusted-ref', commit, '--repository', 'a/b'],
        check.output,
      ),
    ).toBe(1);
    expect(check.out.join('')).toMatch(/the gate judged it FAILED/);
    const json = io();
    await main(
      [
        'verify-attestation',
        envelopeFile,
        ...['--dir', repo, '--trusted-ref', commit, '--repository', 'a/b', '-f', 'json'],
      ],
      json.output,
    );
    const report = JSON.parse(json.out.join(''));
    expect(report).toMatchObject({ ok: false, signer: 'gate key test gate' });
    expect(report.statement.subject[0].digest.gitCommit).toBe(commit);
    expect(report.statement.subject[1].digest.sha256).toBe(sha256(readFileSync(join(dir, 'bom.cdx.json'))));
    // Without the repository: the gate's public key alone.
    writeFileSync(join(dir, 'gate.pub'), `${ed25519Signer(pem).publicKey} gate\n`);
    const keyed = io();
    expect(
      await main(
        ['verify-attestation', envelopeFile, '--key', join(dir, 'gate.pub'), '--repository', 'a/b'],
        keyed.output,
      ),
    ).toBe(1);
    expect(keyed.out.join('')).toMatch(/FAILED/);
    writeFileSync(join(dir, 'other.pub'), `${newSigner().publicKey}\n`);
    const other = io();
    await main(
      ['verify-attestation', envelopeFile, '--key', join(dir, 'other.pub'), '--repository', 'a/b'],
      other.output,
    );
    expect(other.out.join('')).toMatch(/does not hold for any gate or app key/);
  });

  it('says what --format intoto needs', async () => {
    const run = io();
    expect(await main(['export', EXAMPLE, '-f', 'intoto'], run.output)).toBe(2);
    expect(run.err.join('')).toMatch(/needs --signing-key FILE/);
  });
});
