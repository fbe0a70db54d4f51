import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  type Checkpoint,
  type EventDraft,
  entryHash,
  formatCheckpoint,
  GENESIS,
  parseCheckpoint,
  repeatedKey,
  seal,
} from '../src/audit/entry.js';
import { FileStore } from '../src/audit/file-store.js';
import { MemoryStore } from '../src/audit/memory-store.js';
import { AppendConflict, type LogLine, record } from '../src/audit/store.js';
import { verifyLog } from '../src/audit/verify.js';

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
function tempLog(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aims-audit-'));
  temps.push(dir);
  return join(dir, 'audit-log.jsonl');
}

const draft = (n: number, system = 'credit-scoring'): EventDraft => ({
  type: n % 2 ? 'evaluated' : 'model.retrained',
  time: `2026-11-${String(1 + (n % 28)).padStart(2, '0')}T10:00:00.000Z`,
  actor: { login: 'ci-bot', id: 41898282 },
  subject: { repository: 'acme/ml', system, commit: 'a'.repeat(40) },
  details: { run: n, verdict: 'pass' },
  evidence: [{ path: 'models/credit-scoring/MODEL_CARD.md', sha256: 'b'.repeat(64) }],
});

async function* linesOf(text: string): AsyncIterable<LogLine[]> {
  const parts: LogLine[] = text.split('\n');
  const last = parts.pop() as string;
  if (last) parts.push({ torn: last });
  yield parts;
}

/** A log of n entries as text, with its checkpoint. */
async function logOf(n: number): Promise<{ lines: string[]; checkpoint: { seq: number; hash: string } }> {
  const store = new MemoryStore();
  let checkpoint = { seq: 0, hash: GENESIS };
  for (let i = 1; i <= n; i++) checkpoint = (await record(store, draft(i))).checkpoint;
  return { lines: [...store.text], checkpoint };
}

const verifyText = (lines: string[], checkpoint?: { seq: number; hash: string }) =>
  verifyLog(linesOf(`${lines.join('\n')}\n`), checkpoint);

/** Re-seals an entry after editing it, the way a careful forger would. */
function reseal(entry: AuditEntry): string {
  return canonicalize({ ...entry, hash: entryHash(entry) }) as string;
}

describe('RFC 8785 canonical JSON (the RFC test vectors)', () => {
  it('serialises numbers, strings and literals as section 3.2.2 shows', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units as section 3.2.3 shows', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('formats IEEE 754 numbers as appendix B lists', () => {
    const fromBits = (hex: string) =>
      new DataView(new BigUint64Array([BigInt(`0x${hex}`)]).buffer).getFloat64(0, true);
    const vectors: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['41b3de4355555553', '333333333.3333332'],
    ];
    for (const [bits, text] of vectors) expect(canonicalize(fromBits(bits)), bits).toBe(text);
    expect(() => canonicalize(fromBits('7ff0000000000000'))).toThrow();
    expect(() => canonicalize(Number.NaN)).toThrow();
  });
});

describe('entries and the chain', () => {
  it('seals an entry: sequence, prev, and a hash over its canonical JSON without the hash', () => {
    const first = seal(draft(1), undefined);
    expect(first).toMatchObject({ v: 1, seq: 1, prev: GENESIS });
    const { hash, ...rest } = first;
    expect(hash).toBe(entryHash(rest));
    const second = seal(draft(2), { seq: 1, hash });
    expect(second).toMatchObject({ seq: 2, prev: hash });
  });

  it('parses and formats checkpoints, refusing other forms', () => {
    const checkpoint = { seq: 12, hash: 'c'.repeat(64) };
    expect(parseCheckpoint(formatCheckpoint(checkpoint))).toEqual(checkpoint);
    for (const bad of ['12', `12:${'c'.repeat(63)}`, `x:${'c'.repeat(64)}`, `12:${'C'.repeat(64)}`])
      expect(parseCheckpoint(bad)).toBeUndefined();
  });

  it('refuses an invalid event before writing anything', async () => {
    const store = new MemoryStore();
    await expect(record(store, { ...draft(1), type: 'custom.Bad Name' as 'evaluated' })).rejects.toThrow(
      'is not an event type',
    );
    await expect(record(store, { ...draft(1), details: { 'bad key': 1 } })).rejects.toThrow(
      'detail key "bad key"',
    );
    await expect(record(store, { ...draft(1), details: { note: '\ud800' } })).rejects.toThrow(
      'Lone surrogate',
    );
    expect(store.text).toEqual([]);
  });

  it('re-seals from the new head when another writer wins the race', async () => {
    const store = new MemoryStore();
    const racing = {
      ...store,
      label: 'racing',
      head: () => store.head(),
      lines: () => store.lines(),
      append: store.append.bind(store),
    };
    let first = true;
    racing.append = async (entry, expected) => {
      if (first) {
        first = false;
        await record(store, draft(99)); // another writer gets there first
      }
      return store.append(entry, expected);
    };
    const { entry } = await record(racing, draft(1), { backoff: async () => {} });
    expect(entry.seq).toBe(2);
    expect((await verifyLog(store.lines())).ok).toBe(true);
    await expect(store.append(seal(draft(3), undefined), undefined)).rejects.toBeInstanceOf(AppendConflict);
  });
});

describe('verify detects every kind of tampering, naming the first bad entry', () => {
  it('accepts an intact log and its checkpoint', async () => {
    const { lines, checkpoint } = await logOf(10);
    expect(await verifyText(lines, checkpoint)).toMatchObject({
      ok: true,
      entries: 10,
      head: checkpoint,
      checkpoint: 'matched',
    });
  });

  it('an edited entry', async () => {
    const { lines } = await logOf(10);
    lines[4] = lines[4]!.replace('"verdict":"pass"', '"verdict":"fail"');
    expect((await verifyText(lines)).problem).toEqual({
      line: 5,
      seq: 5,
      reason: 'entry 5 was changed after it was written: its content does not match its hash',
    });
  });

  it('an edited entry whose hash was recomputed breaks the next link', async () => {
    const { lines } = await logOf(10);
    lines[4] = reseal({ ...JSON.parse(lines[4]!), details: { run: 5, verdict: 'fail' } });
    expect((await verifyText(lines)).problem).toMatchObject({
      line: 6,
      seq: 6,
      reason: expect.stringContaining('does not chain to entry 5'),
    });
  });

  it('a deleted entry', async () => {
    const { lines } = await logOf(10);
    lines.splice(3, 1);
    expect((await verifyText(lines)).problem).toEqual({
      line: 4,
      seq: 4,
      reason: 'entry 4 is missing: entry 5 follows entry 3 (deleted, or moved)',
    });
  });

  it('reordered entries', async () => {
    const { lines } = await logOf(10);
    [lines[6], lines[7]] = [lines[7]!, lines[6]!];
    expect((await verifyText(lines)).problem).toMatchObject({
      seq: 7,
      reason: 'entry 7 is missing: entry 8 follows entry 6 (deleted, or moved)',
    });
  });

  it('a forged prev', async () => {
    const { lines } = await logOf(10);
    lines[2] = reseal({ ...JSON.parse(lines[2]!), prev: 'f'.repeat(64) });
    expect((await verifyText(lines)).problem).toMatchObject({
      line: 3,
      seq: 3,
      reason: expect.stringContaining('its prev is not'),
    });
  });

  it('an inserted entry', async () => {
    const { lines } = await logOf(10);
    const fourth = JSON.parse(lines[3]!) as AuditEntry;
    lines.splice(4, 0, reseal({ ...fourth, details: { note: 'backdated approval' } }));
    expect((await verifyText(lines)).problem).toMatchObject({
      line: 5,
      seq: 4,
      reason: 'entry 4 appears after entry 4: inserted or reordered',
    });
  });

  it('a truncated tail, against the checkpoint', async () => {
    const { lines, checkpoint } = await logOf(10);
    const truncated = lines.slice(0, 8);
    expect((await verifyText(truncated)).ok).toBe(true); // without a checkpoint, a shorter log is a valid log
    expect(await verifyText(truncated, checkpoint)).toMatchObject({
      ok: false,
      checkpoint: 'failed',
      problem: {
        seq: 9,
        reason:
          'the log ends at entry 8 but the checkpoint records entry 10: 2 entries were removed, from its end or, with the rest re-chained, from anywhere before it',
      },
    });
  });

  it('a whole chain rewritten from some entry on, against the checkpoint', async () => {
    const { lines, checkpoint } = await logOf(10);
    let prev = JSON.parse(lines[5]!).hash as string;
    for (let i = 6; i < 10; i++) {
      const entry = { ...JSON.parse(lines[i]!), prev, details: { rewritten: true } } as AuditEntry;
      entry.hash = entryHash(entry);
      lines[i] = canonicalize(entry) as string;
      prev = entry.hash;
    }
    expect((await verifyText(lines)).ok).toBe(true);
    expect((await verifyText(lines, checkpoint)).problem).toMatchObject({
      seq: 10,
      reason: expect.stringContaining('not the one the checkpoint recorded'),
    });
  });

  it('lines that are not JSON, an unknown version, a missing field, a torn last line', async () => {
    const { lines } = await logOf(3);
    expect((await verifyText([lines[0]!, 'not json', lines[2]!])).problem?.reason).toBe('line 2 is not JSON');
    expect((await verifyText([lines[0]!.replace('"v":1', '"v":2')])).problem?.reason).toBe(
      'line 1 has format version 2; this aims-gate reads version 1',
    );
    const missing = JSON.parse(lines[0]!);
    delete missing.actor;
    expect((await verifyText([JSON.stringify(missing)])).problem?.reason).toBe(
      "line 1 is not a valid entry: the entry must have required property 'actor'",
    );
    const torn = await verifyLog(linesOf(`${lines[0]}\n${lines[1]!.slice(0, 40)}`));
    expect(torn.problem).toEqual({
      line: 2,
      seq: 2,
      reason: 'line 2 is incomplete: a write was cut off before its end (a torn line)',
    });
  });
});

describe('the file store', () => {
  it('appends whole lines, reads its head from the end, and verifies', async () => {
    const path = tempLog();
    const store = new FileStore(path);
    expect(await store.head()).toBeUndefined();
    let checkpoint: Checkpoint | undefined;
    for (let i = 1; i <= 5; i++) checkpoint = (await record(store, draft(i))).checkpoint;
    expect(await store.head()).toEqual(checkpoint);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(6);
    expect(await verifyLog(store.lines(), checkpoint)).toMatchObject({ ok: true, entries: 5 });
  });

  it('reports a torn last line, and moves it aside before the next append', async () => {
    const path = tempLog();
    const store = new FileStore(path);
    await record(store, draft(1));
    const half = serialiseHalf(seal(draft(2), await store.head()));
    writeFileSync(path, half, { flag: 'a' });
    expect((await verifyLog(store.lines())).problem?.reason).toContain('torn line');
    const { entry } = await record(store, draft(3));
    expect(entry.seq).toBe(2);
    expect(await verifyLog(store.lines())).toMatchObject({ ok: true, entries: 2 });
    expect(readFileSync(`${path}.torn`, 'utf8')).toBe(`${half}\n`);
  });

  it('moves aside a line torn inside a character, byte for byte, and cuts the log where it began', async () => {
    const path = tempLog();
    const store = new FileStore(path);
    await record(store, { ...draft(1), actor: { login: 'jösé' } });
    const intact = readFileSync(path);
    // A write cut after the first byte of "ö": the fragment decodes to more bytes than it has.
    const line = intact.subarray(0, intact.indexOf(0x0a));
    const fragment = line.subarray(0, line.indexOf(Buffer.from('ö')) + 1);
    writeFileSync(path, Buffer.concat([intact, fragment]));
    const { entry } = await record(store, draft(2));
    expect(entry.seq).toBe(2);
    expect(await verifyLog(store.lines())).toMatchObject({ ok: true, entries: 2 });
    expect(readFileSync(path).subarray(0, intact.length)).toEqual(intact);
    expect(readFileSync(`${path}.torn`)).toEqual(Buffer.concat([fragment, Buffer.from('\n')]));
  });

  it('keeps a last entry that lost only its line end (an editor’s doing), and ends it before the next', async () => {
    const path = tempLog();
    const store = new FileStore(path);
    for (let i = 1; i <= 2; i++) await record(store, draft(i));
    writeFileSync(path, readFileSync(path, 'utf8').trimEnd());
    expect(await verifyLog(store.lines())).toMatchObject({ ok: true, entries: 2 });
    expect((await store.head())?.seq).toBe(2);
    const { entry } = await record(store, draft(3));
    expect(entry.seq).toBe(3);
    expect(await verifyLog(store.lines())).toMatchObject({ ok: true, entries: 3 });
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(4);
    expect(existsSync(`${path}.torn`)).toBe(false);
  });
});

function serialiseHalf(entry: AuditEntry): string {
  const line = canonicalize(entry) as string;
  return line.slice(0, Math.floor(line.length / 2));
}

describe('what the chain cannot prove wrong', () => {
  it('flags time running backwards (a clock set back, or a backdated entry), on an intact chain', async () => {
    const store = new FileStore(tempLog());
    await record(store, { ...draft(1), time: '2026-03-01T00:00:00Z' });
    await record(store, { ...draft(2), time: '2026-01-15T00:00:00Z' });
    await record(store, { ...draft(3), time: '2026-04-01T00:00:00Z' });
    const result = await verifyLog(store.lines());
    expect(result).toMatchObject({ ok: true, entries: 3 });
    expect(result.warnings).toEqual([
      'entry 2 is dated 2026-01-15T00:00:00Z, before entry 1 (2026-03-01T00:00:00Z): time runs backwards here (a clock set back, or a backdated entry)',
    ]);
  });
});

describe('repeatedKey (a JSON text that says two things)', () => {
  it('finds a key an object gives twice, however it is escaped, at any depth, and nothing in arrays or values', () => {
    expect(repeatedKey('{"a":1,"b":{"c":"x","c":"y"}}')).toBe('c');
    expect(repeatedKey('{"a":1,"\\u0061":2}')).toBe('a');
    expect(repeatedKey('{ "a" : "b:" , "b" : ["a","a"], "c": {"a": 1} }')).toBeUndefined();
    expect(repeatedKey('{"s":"quote \\" and \\\\","s2":1}')).toBeUndefined();
    expect(repeatedKey('[{"a":1},{"a":2}]')).toBeUndefined();
  });
});
