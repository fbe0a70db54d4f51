import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AuditEntry, type EventDraft, entryHash, serialise, sha256 } from '../src/audit/entry.js';
import { FileStore } from '../src/audit/file-store.js';
import { MemoryStore } from '../src/audit/memory-store.js';
import { ed25519Signer, type Signer, type TrustedKey } from '../src/audit/signature.js';
import { record } from '../src/audit/store.js';
import { type VerifyResult, verifyLog } from '../src/audit/verify.js';

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const signer = () =>
  ed25519Signer(
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  );
const gate = signer();
const app = signer();
const person = signer();
const trusted: TrustedKey[] = [
  { key: gate.publicKey, role: 'gate', name: 'deploy gate' },
  { key: app.publicKey, role: 'app' },
  { key: person.publicKey, role: 'person', name: 'li' },
];

const at = (n: number) => `2026-11-${String(n).padStart(2, '0')}T10:00:00.000Z`;
const decision = (n: number): EventDraft => ({
  type: 'deployment.approved',
  time: at(n),
  actor: { login: 'octocat', via: 'github' },
  subject: { repository: 'acme/ml', commit: 'a'.repeat(40), environment: 'production' },
  details: { by: 'aims-gate', reason: 'approved', systems: ['credit-scoring'] },
  evidence: [],
});
const evaluation = (n: number, environment?: string): EventDraft => ({
  type: 'evaluated',
  time: at(n),
  actor: { login: 'octocat', via: 'github' },
  subject: {
    repository: 'acme/ml',
    system: 'credit-scoring',
    commit: 'a'.repeat(40),
    ...(environment ? { environment } : {}),
  },
  details: { verdict: 'pass' },
  evidence: [],
});
const custom = (n: number): EventDraft => ({
  type: 'custom.fairness-review',
  time: at(n),
  actor: { login: 'li', via: 'typed' },
  subject: { system: 'credit-scoring' },
  details: { outcome: 'ok' },
  evidence: [],
});

/** Writes each draft with its signer (or none) into a log file and a memory log; returns both. */
async function logOf(steps: [EventDraft, Signer | undefined][]) {
  const dir = mkdtempSync(join(tmpdir(), 'aims-verify-'));
  temps.push(dir);
  const file = new FileStore(join(dir, 'audit-log.jsonl'));
  const memory = new MemoryStore();
  for (const [draft, with_] of steps) {
    const { entry } = await record(memory, draft, with_ ? { signer: with_ } : {});
    await file.append(entry, await file.head());
  }
  return { file, memory };
}

/** Verifies both ways (the byte path of a file, the text path of memory): they must agree. */
async function verifyBoth(log: Awaited<ReturnType<typeof logOf>>, keys = trusted): Promise<VerifyResult> {
  const bytes = await verifyLog(log.file.blocks(), undefined, { trusted: keys, perEntry: true });
  const text = await verifyLog(log.memory.lines(), undefined, { trusted: keys, perEntry: true });
  expect(text).toEqual(bytes);
  return bytes;
}

describe('verify checks who signed each entry', () => {
  it('a log the gate signed passes and reports its signers', async () => {
    const log = await logOf([
      [evaluation(1, 'production'), gate],
      [decision(1), gate],
      [custom(2), undefined],
      [custom(3), person],
      [evaluation(4), undefined],
      [decision(5), app],
    ]);
    const result = await verifyBoth(log);
    expect(result.ok).toBe(true);
    expect(result.signatures).toMatchObject({ ok: true, failed: 0, failures: [] });
    expect(
      result.signatures!.signers.map((s) => [s.signer.replace(/SHA256:[^)]+/, 'FP'), s.entries]),
    ).toEqual([
      ['gate key deploy gate (FP)', 2],
      ['unsigned', 2],
      ['person key li (FP)', 1],
      ['app key (FP)', 1],
    ]);
    expect(result.signatures!.entries!.map((e) => [e.seq, e.status, e.gate, e.role])).toEqual([
      [1, 'signed', true, 'gate'],
      [2, 'signed', true, 'gate'],
      [3, 'unsigned', false, undefined],
      [4, 'signed', false, 'person'],
      [5, 'unsigned', false, undefined],
      [6, 'signed', true, 'app'],
    ]);
  });

  it('a forged, re-chained gate decision fails and is named by its sequence number', async () => {
    const log = await logOf([
      [decision(1), gate],
      [custom(2), undefined],
      [decision(3), undefined],
      [decision(4), person],
      [evaluation(5, 'production'), undefined],
      [decision(6), signer()],
    ]);
    const result = await verifyBoth(log);
    // The chain holds: only the signatures say who wrote what.
    expect(result.ok).toBe(true);
    expect(result.signatures!.ok).toBe(false);
    expect(result.signatures!.failed).toBe(4);
    expect(result.signatures!.failures.map((f) => [f.seq, f.line])).toEqual([
      [3, 3],
      [4, 4],
      [5, 5],
      [6, 6],
    ]);
    const [unsigned, byPerson, evaluated, byStranger] = result.signatures!.failures.map((f) => f.reason);
    expect(unsigned).toBe(
      'entry 3 claims to be a gate decision (deployment.approved) but is not signed by a gate key (it is unsigned): forged, or written by something other than the gate',
    );
    expect(byPerson).toMatch(
      /^entry 4 claims to be a gate decision .*signed by the person key li, SHA256:\S+, which is no gate or app key/,
    );
    expect(evaluated).toMatch(/^entry 5 claims to be the gate's evaluation of a deployment \(evaluated\)/);
    expect(byStranger).toMatch(/^entry 6 .*a key the trusted configuration does not list under signers/);
  });

  it('a signature that does not hold fails, whatever the entry', async () => {
    const { entry } = await record(new MemoryStore(), custom(1), { signer: person });
    const { hash: _h, ...rest } = { ...entry, details: { outcome: 'changed' } };
    const tampered: AuditEntry = { ...rest, hash: entryHash(rest) };
    const memory = {
      lines: async function* () {
        yield [serialise(tampered).trimEnd()];
      },
    };
    const result = await verifyLog(memory.lines(), undefined, { trusted });
    expect(result.ok).toBe(true);
    expect(result.signatures!.failures[0]!.reason).toMatch(
      /^entry 1 has a signature that does not hold: the signature by SHA256:\S+ does not match the entry/,
    );
  });

  it('a rotated key: entries before its end verify, entries after it fail', async () => {
    const rotated: TrustedKey[] = [{ key: gate.publicKey, role: 'gate', until: '2026-11-02' }];
    const log = await logOf([
      [decision(1), gate],
      [decision(3), gate],
    ]);
    const result = await verifyBoth(log, rotated);
    expect(result.signatures!.failures.map((f) => f.seq)).toEqual([2]);
    expect(result.signatures!.failures[0]!.reason).toMatch(/trusted only until 2026-11-02/);
  });

  it('unsigned custom entries stay unverified, not failures; no keys given, no signature work', async () => {
    const log = await logOf([
      [custom(1), undefined],
      [evaluation(2), undefined],
    ]);
    expect((await verifyBoth(log, [])).signatures).toMatchObject({
      ok: true,
      signers: [{ signer: 'unsigned', entries: 2 }],
    });
    expect((await verifyLog(log.file.blocks())).signatures).toBeUndefined();
  });

  it('an escaped type, or a sig moved out of its place, is judged as a reader would parse it', async () => {
    const { entry } = await record(new MemoryStore(), decision(1), { signer: gate });
    const line = serialise(entry).trimEnd();
    // "deployment\u002eapproved" parses as deployment.approved: its canonical form is what was hashed and signed.
    const escaped = line.replace('"type":"deployment.approved"', '"type":"deployment\\u002eapproved"');
    // The sig moved after the subject: the same entry, its canonical hash kept.
    const { sig } = entry;
    const moved = line.replace(`,"sig":"${sig}"`, '').replace(',"time":', `,"sig":"${sig}","time":`);
    for (const text of [escaped, moved]) {
      expect(text).not.toBe(line);
      const result = await verifyLog(
        (async function* () {
          yield Buffer.from(`${text}\n`);
        })(),
        undefined,
        { trusted, perEntry: true },
      );
      expect(result.ok).toBe(true);
      expect(result.signatures).toMatchObject({
        ok: true,
        entries: [{ seq: 1, status: 'signed', gate: true, role: 'gate' }],
      });
    }
    // A hash made again over the moved bytes is no entry's hash: anyone can compute one over any bytes, so
    // the bytes are read in place only when they are the canonical form, and otherwise parsed and re-hashed.
    const body = moved.replace(/,"hash":"[0-9a-f]{64}"/, '');
    const rehashed = body.replace(',"prev":', `,"hash":"${sha256(body)}","prev":`);
    const result = await verifyLog(
      (async function* () {
        yield Buffer.from(`${rehashed}\n`);
      })(),
    );
    expect(result.ok).toBe(false);
    expect(result.problem?.reason).toMatch(/entry 1 was changed after it was written/);
  });
});
