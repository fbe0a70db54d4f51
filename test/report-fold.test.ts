import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEntry, type EventDraft, seal, serialise } from '../src/audit/entry.js';
import { EvidenceIndex, VERSIONS_KEPT } from '../src/audit/evidence.js';
import { FileStore } from '../src/audit/file-store.js';
import { readEntries } from '../src/audit/read.js';
import { verifyLog } from '../src/audit/verify.js';
import {
  AuditorFold,
  type AuditorReport,
  buildAuditorReport,
  foldLog,
  ORGANISATION,
  TIMELINE_LIMIT,
} from '../src/report/auditor.js';
import { renderAuditorMarkdown } from '../src/report/auditor-markdown.js';
import { Ring, Tail } from '../src/report/tail.js';
import type { Evaluation } from '../src/types.js';
import { EXAMPLE, readTree, run } from './helpers.js';

/**
 * The auditor's report is a fold over its log (src/report/auditor.ts): read from the file in two passes, an
 * entry at a time, it must say what the report of the same entries held whole says, and list no more than its
 * bounds, with the counts of what it leaves out.
 */

const LOG = { path: 'log', found: true, checkpointGiven: false } as const;
const GENERATED = '2026-11-02T00:00:00.000Z';

/** The report as the CLI reads a log file: two passes, in blocks small enough that lines straddle them. */
async function streamed(evaluation: Evaluation, path: string, log: Partial<AuditorReport['log']> = {}) {
  const store = new FileStore(path, { blockSize: 4096 });
  const verification = await verifyLog(store.blocks());
  const fold = new AuditorFold({ evaluation, log: { ...LOG, verification, ...log }, generated: GENERATED });
  await foldLog(store, fold);
  return { report: fold.report(), verification };
}

async function whole(evaluation: Evaluation, path: string, log: Partial<AuditorReport['log']> = {}) {
  const entries: AuditEntry[] = [];
  for await (const entry of readEntries(new FileStore(path))) entries.push(entry);
  return buildAuditorReport({ evaluation, entries, log: { ...LOG, ...log }, generated: GENERATED });
}

describe("the example's report, folded from its log file", () => {
  let evaluation: Evaluation;
  let report: AuditorReport;
  const path = join(EXAMPLE, '.aims-gate/audit-log.jsonl');

  beforeAll(async () => {
    evaluation = await run(readTree(EXAMPLE));
    const read = await streamed(evaluation, path);
    report = read.report;
    // Read whole, the same entries give the same report, to the last field.
    expect(report).toEqual(await whole(evaluation, path, { verification: read.verification }));
  });

  it('keeps every nonconformity, event and entry number of its 36 entries', () => {
    expect(report.totalEvents).toBe(36);
    expect(report.systems.reduce((n, s) => n + s.events.length + s.earlier, 0)).toBe(36);
    expect(report.systems.every((s) => s.earlier === 0)).toBe(true);
    expect(report.systems.find((s) => s.id === ORGANISATION)!.events.map((e) => e.seq)).toEqual([
      21, 22, 23, 24, 34, 36,
    ]);
    expect(report.systems.find((s) => s.id === 'credit-scoring')!.events.map((e) => e.seq)).toEqual([
      3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 25, 27, 28, 29, 30, 31, 32, 35,
    ]);
    const ids = report.nonconformities.map((nc) => nc.id);
    expect(ids).toEqual(expect.arrayContaining(['NC-13', 'NC-19', 'NC-24', 'NC-35']));
    expect(report.nonconformities.find((nc) => nc.id === 'NC-13')!.closed?.seq).toBe(32);
    expect(report.deployments.map((d) => [d.seq, d.system])).toEqual([
      [10, 'credit-scoring'],
      [15, 'churn-predictor'],
    ]);
    expect(report.approvals.map((e) => e.seq)).toEqual([8, 9]);
    const clause = (id: string) => report.clauses.clauses.find((c) => c.clause === id)!;
    expect(clause('9.2').entries).toMatchObject({ count: 2, latest: [{ seq: 21 }, { seq: 22 }] });
    expect(clause('10.2').entries.count).toBe(15);
    expect(clause('10.2').entries.latest.map((e) => e.seq)).toEqual([20, 24, 27, 28, 30, 31, 32, 33, 34, 35]);
    expect(clause('9.2').nonconformities).toEqual([{ id: 'NC-24', open: true }]);
    const soa = (control: string) => report.applicability.find((r) => r.control === control)!;
    expect(soa('A.6.2.6').entries.map((e) => e.seq)).toEqual([5, 11]);
    expect(soa('A.8.4').entries.map((e) => e.seq)).toEqual([12]);
    expect(soa('A.9.3').entries.map((e) => e.seq)).toEqual([18]);
    const month = (m: string) => report.kpis.months.find((f) => f.month === m)!;
    expect(month('2026-10')).toMatchObject({ findings: 13, opened: 15, closed: 2, open: 14 });
    expect(month('2026-06').approved).toBe(1);
    expect(month('2026-09').rejected).toBe(1);
    expect(report.kpis.objectives.find((o) => o.objective.id === 'OBJ-3')!.basis).toBe(
      'objective.reviewed in entry 36 (2026-10-31): met',
    );
    // Nothing is left out, so nothing says it is.
    expect(renderAuditorMarkdown(report)).not.toMatch(/events are listed:|earlier ones are in the log/);
  });
});

/** A chain of 20,000 entries of 40 systems: evaluations, retraining, approvals, gate decisions, incidents, audits. */
function generated(): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let head: { seq: number; hash: string } | undefined;
  const commit = (i: number) =>
    createHash('sha1')
      .update(String(Math.floor(i / 100)))
      .digest('hex');
  for (let i = 1; i <= 20_000; i++) {
    const system = `system-${i % 40}`;
    const time = new Date(Date.UTC(2026, 0, 1) + i * 20 * 60_000).toISOString();
    const base = { time, actor: { login: 'ci-bot' }, evidence: [] as EventDraft['evidence'] };
    const draft: EventDraft =
      i % 100 === 0
        ? {
            ...base,
            type: i % 200 === 0 ? 'deployment.rejected' : 'deployment.approved',
            subject: { environment: 'production', commit: commit(i - 1) },
            details: { systems: [`system-${(i / 100) % 40}`, `system-${(i / 100 + 1) % 40}`] },
          }
        : i % 25 === 12
          ? { ...base, type: 'approval.given', subject: { system }, details: { role: 'governance' } }
          : i % 10 === 3
            ? { ...base, type: 'model.retrained', subject: { system }, details: {} }
            : i % 97 === 0
              ? {
                  ...base,
                  type: 'incident',
                  subject: { system },
                  details: i % 2 ? { informed: 'users', informedAt: time.slice(0, 10) } : {},
                }
              : i % 131 === 0
                ? {
                    ...base,
                    type: 'audit.performed',
                    subject: {},
                    details: { audit: `X-${i}`, auditor: 'a' },
                  }
                : {
                    ...base,
                    type: 'evaluated',
                    subject: { system, commit: commit(i) },
                    details: { findings: { major: i % 3, minor: i % 2, observation: 0 } },
                    evidence: [
                      {
                        path: `models/${system}/MODEL_CARD.md`,
                        sha256: createHash('sha256')
                          .update(String(i % 400))
                          .digest('hex'),
                      },
                    ],
                  };
    const entry = seal(draft, head);
    head = { seq: entry.seq, hash: entry.hash };
    entries.push(entry);
  }
  return entries;
}

describe('a generated log of 20,000 entries', () => {
  let dir: string;
  let path: string;
  let entries: AuditEntry[];
  let evaluation: Evaluation;
  let report: AuditorReport;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aims-gate-fold-'));
    path = join(dir, 'audit-log.jsonl');
    entries = generated();
    writeFileSync(path, entries.map(serialise).join(''));
    evaluation = await run(readTree(EXAMPLE));
    const read = await streamed(evaluation, path);
    expect(read.verification.ok).toBe(true);
    report = read.report;
    expect(report).toEqual(await whole(evaluation, path, { verification: read.verification }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const seqs = (test: (e: AuditEntry) => boolean) => entries.filter(test).map((e) => e.seq);

  it('lists each timeline up to its bound, the latest events, and counts the rest', () => {
    expect(report.totalEvents).toBe(20_000);
    expect(report.timelineLimit).toBe(TIMELINE_LIMIT);
    for (const system of report.systems) {
      const all = seqs((e) => (e.subject.system ?? ORGANISATION) === system.id);
      expect(system.events.map((e) => e.seq)).toEqual(all.slice(-TIMELINE_LIMIT));
      expect(system.earlier).toBe(Math.max(0, all.length - TIMELINE_LIMIT));
    }
    const markdown = renderAuditorMarkdown(report);
    const listed = report.systems.reduce((n, s) => n + s.events.length, 0);
    expect(markdown).toContain(
      `${listed.toLocaleString('en')} of the period's 20,000 events are listed: each system's latest 100`,
    );
  });

  it('lists the latest 500 approvals and deployment rows, with the evaluation each decision rests on', () => {
    const approvals = seqs((e) => e.type === 'approval.given');
    expect(report.approvals.map((e) => e.seq)).toEqual(approvals.slice(-500));
    expect(report.earlierApprovals).toBe(approvals.length - 500);
    expect(renderAuditorMarkdown(report)).toContain(`${approvals.length - 500} earlier ones are in the log`);
    const decisions = entries.filter((e) => e.type.startsWith('deployment.'));
    expect(report.deployments.length + report.earlierDeployments).toBe(decisions.length * 2);
    expect(report.deployments).toHaveLength(Math.min(500, decisions.length * 2));
    const last = report.deployments.at(-1)!;
    const decision = decisions.at(-1)!;
    expect(last).toMatchObject({ seq: decision.seq, system: (decision.details.systems as string[])[1] });
    // The latest evaluation of that system at that commit, before the decision.
    const evaluated = entries.filter(
      (e) =>
        e.type === 'evaluated' &&
        e.seq < decision.seq &&
        e.subject.system === last.system &&
        e.subject.commit === decision.subject.commit,
    );
    expect(last.evaluation).toBe(evaluated.at(-1)?.seq);
  });

  it('counts every entry that evidences a control or a clause, and lists the latest few', () => {
    const retrained = seqs((e) => e.type === 'model.retrained');
    const a626 = report.applicability.find((r) => r.control === 'A.6.2.6')!;
    expect(a626.entries.map((e) => e.seq)).toEqual(retrained.slice(-5));
    expect(a626.moreEntries).toBe(retrained.length - 5);
    const incidents = entries.filter((e) => e.type === 'incident');
    const complete = incidents.filter((e) => e.details.informedAt);
    const a84 = report.applicability.find((r) => r.control === 'A.8.4')!;
    expect(a84.entries.length + a84.moreEntries).toBe(complete.length);
    const incomplete = incidents.length - complete.length;
    expect(a84.tested).toContain(
      `${incomplete} entries (${incidents
        .filter((e) => !e.details.informedAt)
        .slice(0, 5)
        .map((e) => `#${e.seq}`)
        .join(', ')}, …) lack the details their type requires (informed, informedAt)`,
    );
    const audits = seqs((e) => e.type === 'audit.performed');
    expect(report.clauses.unplanned.map((u) => u.seq)).toEqual(audits.slice(-100));
    expect(report.clauses.earlierUnplanned).toBe(audits.length - 100);
    const a692 = report.clauses.clauses.find((c) => c.clause === '9.2')!;
    expect(a692.entries.count).toBe(audits.length);
    expect(a692.entries.latest.map((e) => e.seq)).toEqual(audits.slice(-10));
  });

  it("gives each month's figures as the log stood at its end", () => {
    for (const month of report.kpis.months) {
      const latest = new Map<string, number>();
      for (const e of entries)
        if (e.type === 'evaluated' && e.time.slice(0, 7) <= month.month) {
          const f = e.details.findings as Record<string, number>;
          latest.set(e.subject.system!, f.major! + f.minor! + f.observation!);
        }
      const decided = (type: string) =>
        entries.filter((e) => e.type === type && e.time.slice(0, 7) === month.month).length;
      expect(month).toMatchObject({
        findings: [...latest.values()].reduce((a, b) => a + b, 0),
        approved: decided('deployment.approved'),
        rejected: decided('deployment.rejected'),
      });
    }
  });

  it('honours --since and --until read from the file as held whole', async () => {
    const period = { since: '2026-05-01', until: '2026-06-30' };
    const read = await streamed(evaluation, path, period);
    expect(read.report).toEqual(
      await whole(evaluation, path, { verification: read.verification, ...period }),
    );
    const inPeriod = seqs((e) => e.time >= '2026-05-01' && e.time < '2026-07-01');
    expect(read.report.totalEvents).toBe(inPeriod.length);
    expect(read.report.systems.flatMap((s) => s.events).every((e) => inPeriod.includes(e.seq))).toBe(true);
  });
});

describe('the bounded collections a fold keeps', () => {
  it('a tail and a ring keep the latest items, lowered limits included, and count the rest', () => {
    const tail = new Tail<number>(3);
    const ring = new Ring(5, 2);
    for (let i = 1; i <= 12; i++) {
      tail.push(i);
      ring.push(i, i * 10);
    }
    expect([tail.list(), tail.count, tail.earlier]).toEqual([[10, 11, 12], 12, 9]);
    expect(ring.list()).toEqual([
      [8, 80],
      [9, 90],
      [10, 100],
      [11, 110],
      [12, 120],
    ]);
    ring.lower(2);
    expect([ring.list(), ring.earlier]).toEqual([
      [
        [11, 110],
        [12, 120],
      ],
      10,
    ]);
  });

  it('the evidence index keeps the versions of a file cited last, the latest marked, and counts the others', () => {
    const index = new EvidenceIndex();
    const sha = (n: number) => createHash('sha256').update(String(n)).digest('hex');
    let seq = 0;
    for (let v = 1; v <= VERSIONS_KEPT + 5; v++)
      index.add({ seq: ++seq, evidence: [{ path: 'card.md', sha256: sha(v) }] });
    // Version 1 again: it was dropped, so it counts from here; a digest that is no SHA-256 hex is kept as written.
    index.add({ seq: ++seq, evidence: [{ path: 'card.md', sha256: sha(1) }] });
    index.add({ seq: ++seq, evidence: [{ path: 'other.md', sha256: 'NOT-HEX' }] });
    index.add({ seq: ++seq, evidence: [{ path: 'other.md', sha256: 'NOT-HEX' }] });
    const files = index.files();
    const card = files.filter((f) => f.path === 'card.md');
    expect(card).toHaveLength(VERSIONS_KEPT);
    expect(card.filter((f) => f.latest)).toEqual([
      { path: 'card.md', sha256: sha(1), first: 16, last: 16, entries: 1, latest: true },
    ]);
    expect(card.map((f) => f.sha256)).not.toContain(sha(6));
    expect(index.omitted).toBe(6);
    expect(files.filter((f) => f.path === 'other.md')).toEqual([
      { path: 'other.md', sha256: 'NOT-HEX', first: 17, last: 18, entries: 2, latest: true },
    ]);
  });
});
