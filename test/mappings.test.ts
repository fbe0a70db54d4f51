import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AuditEntry, draftProblem, type EventDraft, seal, sealSigned } from '../src/audit/entry.js';
import { deploymentEvent } from '../src/audit/events.js';
import { ed25519Signer, type Signer, type TrustedKey } from '../src/audit/signature.js';
import { annexA } from '../src/controls.js';
import { buildAuditorReport } from '../src/report/auditor.js';
import { renderAuditorHtml } from '../src/report/auditor-html.js';
import { renderAuditorMarkdown } from '../src/report/auditor-markdown.js';
import type { Evaluation } from '../src/types.js';
import { CARD, conformantRepo, EXAMPLE, edit, exampleGateSigner, findingsOf, run } from './helpers.js';

/**
 * Evidence mapped to the controls it is evidence of (issue 22, item 7): A.6.2.8 from each system's own event
 * logging, A.8.4 from incidents that say who was informed, A.6.2.5 from the gate's entries only, and checks
 * that see only that text is there called "documented".
 */

const LOG = '.aims-gate/audit-log.jsonl';
const BIN = join(import.meta.dirname, '..', 'bin', 'aims-gate.js');
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function report(evaluation: Evaluation, entries: AuditEntry[], trusted?: TrustedKey[]) {
  return buildAuditorReport({
    evaluation,
    entries,
    log: {
      path: LOG,
      found: true,
      verification: { ok: true, entries: entries.length, checkpoint: 'not-given', warnings: [] },
      checkpointGiven: false,
    },
    generated: '2026-11-02T00:00:00.000Z',
    ...(trusted ? { trusted } : {}),
  });
}

const rowOf = (r: ReturnType<typeof report>, control: string) =>
  r.applicability.find((row) => row.control === control)!;

/** Drafts sealed into one chain, each signed by its signer where it has one. */
async function chain(drafts: [EventDraft, Signer?][]): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (const [draft, signer] of drafts) {
    const head = entries.at(-1);
    const at = head ? { seq: head.seq, hash: head.hash } : undefined;
    entries.push(signer ? await sealSigned(draft, at, signer) : seal(draft, at));
  }
  return entries;
}

const event = (type: EventDraft['type'], details: EventDraft['details'] = {}): EventDraft => ({
  type,
  time: '2026-10-01T10:00:00.000Z',
  actor: { login: 'dana' },
  subject: { repository: 'acme/ml', system: 'credit-scoring' },
  details,
  evidence: [],
});

const decision = (): EventDraft =>
  deploymentEvent(
    { approved: true, reason: '2 of 2 approvals', systems: ['credit-scoring'] },
    {
      time: '2026-10-01T10:00:00.000Z',
      actor: { login: 'aims-gate[bot]' },
      subject: { repository: 'acme/ml', system: 'credit-scoring', environment: 'production' },
    },
  );

describe('A.6.2.8: each system states its own event logging; the governance log only supports it', () => {
  it('is evidenced by the card rule, with the log named as supporting evidence only', async () => {
    const soa = report(await run(conformantRepo()), await chain([[event('model.retrained')]]));
    const row = rowOf(soa, 'A.6.2.8');
    expect(row.rules.map((r) => r.id)).toEqual(['card.event-logging']);
    expect(row.documents.map((d) => d.path)).toEqual([CARD]);
    expect(row).toMatchObject({
      status: 'documented',
      automatic: true,
      evidence: [`${LOG} (the governance log: supporting evidence only)`],
      entries: [],
    });
    expect(row.tested).toContain(
      "Supporting evidence, not the systems' own event logs: their lifecycle events are recorded in a hash-chained governance log, 1 entry",
    );
  });

  it('a card that does not state its logging draws a finding, and the log alone evidences nothing', async () => {
    const files = edit(conformantRepo(), CARD, /## Event Logging\n[\s\S]*?(?=## Model Card Contact)/, '');
    const evaluation = await run(files);
    expect(findingsOf(evaluation, 'card.event-logging')).toMatchObject([
      { severity: 'minor', path: CARD, controls: ['A.6.2.8'] },
    ]);
    expect(rowOf(report(evaluation, await chain([[event('model.retrained')]])), 'A.6.2.8').status).toBe(
      'minor',
    );
    // With the rule off, a verified log with entries leaves the control unevidenced, and says what is missing.
    files['.github/aims-gate.yml'] =
      'systems: [models/*]\noverrides:\n  card.event-logging: { disabled: true, reason: testing the log alone }\n';
    const alone = rowOf(report(await run(files), await chain([[event('model.retrained')]])), 'A.6.2.8');
    expect(alone).toMatchObject({ automatic: false });
    expect(alone.status).not.toBe('conformant');
    expect(alone.missing).toContain("No AI system's documents state its own event logging");
  });

  it('accepts the headings real cards use for it', async () => {
    for (const heading of [
      'Logging and monitoring',
      'Record-keeping',
      'Audit trail',
      'Operational logging',
    ]) {
      const files = edit(conformantRepo(), CARD, '## Event Logging', `## ${heading}`);
      expect(findingsOf(await run(files), 'card.event-logging'), heading).toEqual([]);
    }
  });
});

describe('A.8.4: an incident says who was informed, and when', () => {
  it('record refuses an incident without them, naming the details to add', () => {
    expect(draftProblem(event('incident', { summary: 'drift' }))).toBe(
      'an incident must say who was informed of it, and when (A.8.4, Communication of incidents): add --detail informed=… (who was informed of it (users, customers, a regulator, ...)), --detail informedAt=… (when they were informed: YYYY-MM-DD, or an ISO 8601 time)',
    );
    expect(draftProblem(event('incident', { informed: 'users', informedAt: 'last week' }))).toBe(
      '--detail informedAt must be a date (YYYY-MM-DD) or an ISO 8601 time, not "last week"',
    );
    expect(draftProblem(event('incident', { informed: 'users', informedAt: '2026-10-09' }))).toContain(
      'is after the day this incident is recorded (2026-10-01)',
    );
    expect(draftProblem(event('incident', { informed: 'users', informedAt: '2026-10-01' }))).toBeUndefined();

    const dir = mkdtempSync(join(tmpdir(), 'aims-incident-'));
    temps.push(dir);
    for (const [path, text] of Object.entries(conformantRepo())) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const record = (...details: string[]) =>
      spawnSync(
        process.execPath,
        [
          BIN,
          'record',
          '--type',
          'incident',
          '--system',
          'credit-scoring',
          ...details.flatMap((d) => ['--detail', d]),
        ],
        { cwd: dir, encoding: 'utf8' },
      );
    const refused = record('summary=drift');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('an incident must say who was informed of it, and when');
    const today = new Date().toISOString().slice(0, 10);
    expect(record('summary=drift', 'informed=affected applicants', `informedAt=${today}`).status).toBe(0);
    expect(readFileSync(join(dir, LOG), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('only incidents that say so evidence A.8.4; one that does not is named', async () => {
    const entries = await chain([
      [event('incident', { summary: 'drift' })], // an older entry, recorded before the rule
      [event('incident', { summary: 'outage', informed: 'customers', informedAt: '2026-10-01' })],
    ]);
    const row = rowOf(report(await run(conformantRepo()), entries), 'A.8.4');
    expect(row.entries).toEqual([{ seq: 2, type: 'incident', system: 'credit-scoring' }]);
    expect(row.tested).toContain(
      '1 entry (#1) lacks the details its type requires (informed, informedAt), so it evidences nothing here.',
    );
    const none = rowOf(report(await run(conformantRepo()), entries.slice(0, 1)), 'A.8.4');
    expect(none).toMatchObject({ automatic: false, entries: [] });
    expect(none.missing).toBe('No incident entry in the audit log that evidences it.');
  });
});

describe('A.6.2.5: only entries the gate wrote', () => {
  it('counts a decision signed by a gate key, never an unsigned one or one a person signed', async () => {
    const gate = exampleGateSigner();
    const person = ed25519Signer(
      readFileSync(join(EXAMPLE, '..', 'EXAMPLE-ONLY-keys', 'gov-lead.pem'), 'utf8'),
    );
    const trusted: TrustedKey[] = [
      { key: gate.publicKey, role: 'gate' },
      { key: person.publicKey, role: 'person', name: 'gov-lead' },
    ];
    const entries = await chain([[decision(), gate], [decision()], [decision(), person]]);
    const evaluation = await run(conformantRepo());
    const row = rowOf(report(evaluation, entries, trusted), 'A.6.2.5');
    expect(row.entries.map((e) => e.seq)).toEqual([1]);
    // A gate decision no gate key signed is forged: dropped before any control sees it, and marked so.
    const soa = report(evaluation, entries, trusted);
    expect(soa.deployments.filter((d) => d.forged).map((d) => d.seq)).toEqual([2, 3]);
    // Without the configuration's keys nothing can be shown to be the gate's: nothing evidences A.6.2.5.
    const unkeyed = rowOf(report(evaluation, entries), 'A.6.2.5');
    expect(unkeyed).toMatchObject({ automatic: false, entries: [] });
    expect(unkeyed.tested).toContain(
      "3 entries (#1, #2, #3) are not the gate's: unsigned, or signed by a key that is no gate or app key the configuration lists, so they evidence nothing here.",
    );
    // An organisation naming person-written events for A.6.2.5 in its SoA gains nothing from them either.
    const custom = await chain([[event('custom.release-signoff'), person]]);
    const declared = await run({
      ...conformantRepo(),
      '.github/aims-gate.yml':
        'systems: [models/*]\nstatement-of-applicability:\n  A.6.2.5: { applicable: true, justification: Releases., events: [custom.release-signoff] }\n',
    });
    expect(rowOf(report(declared, custom, trusted), 'A.6.2.5').entries).toEqual([]);
  });
});

describe('section-presence checks say "documented", never "conformant"', () => {
  it('one sentence under a heading documents a control; a check of what it says makes it conformant', async () => {
    const files = edit(
      conformantRepo(),
      CARD,
      /## Environmental Impact\n[\s\S]*?(?=## Event Logging)/,
      '## Environmental Impact\n\nTrained on 1x CPU node.\n\n',
    );
    const soa = report(await run(files), []);
    expect(rowOf(soa, 'A.4.5')).toMatchObject({ status: 'documented', automatic: true });
    // A.6.1.3 has checks that judge the risk register's values: conformant.
    expect(rowOf(soa, 'A.6.1.3').status).toBe('conformant');
    expect(renderAuditorMarkdown(soa)).toMatch(
      /\| A\.4\.5 System and computing resources.*\| documented: the text is there; what it says is for the auditor to judge \|/,
    );
    expect(renderAuditorHtml(soa)).toContain(
      'data-control="A.4.5" data-applicable="not declared" data-flags="1" data-status="documented"',
    );
  });

  it('names only controls and titles of the shared Annex A reference', async () => {
    const reference = readFileSync(
      join(import.meta.dirname, '..', 'reference', 'iso42001-annex-a.yml'),
      'utf8',
    );
    const soa = report(await run(conformantRepo()), []);
    for (const row of soa.applicability) {
      expect(annexA().controls[row.control]).toBe(row.title);
      expect(reference).toContain(`${row.control}: ${row.title}`);
    }
  });
});
