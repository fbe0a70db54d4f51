import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keepLines } from '../src/audit/anchors.js';
import { type AuditEntry, type EventDraft, seal, serialise, sha256 } from '../src/audit/entry.js';
import { FileStore } from '../src/audit/file-store.js';
import type { LogBatch, LogLine } from '../src/audit/store.js';
import { verifyLog } from '../src/audit/verify.js';

/**
 * The file store hands verify its bytes in blocks, and verify reads ASCII lines from those bytes without
 * decoding them. Whatever the file holds, both must say exactly what the decoded text says: the text, split
 * at line feeds, is the reference here.
 */

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
function fileOf(bytes: Buffer | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'aims-blocks-'));
  temps.push(dir);
  const path = join(dir, 'audit-log.jsonl');
  writeFileSync(path, bytes);
  return path;
}

const draft = (n: number, login = 'ci-bot'): EventDraft => ({
  type: n % 2 ? 'evaluated' : 'model.retrained',
  time: `2026-11-${String(1 + (n % 28)).padStart(2, '0')}T10:00:00.000Z`,
  actor: { login, id: 41898282 },
  subject: { repository: 'acme/ml', system: 'credit-scoring', commit: 'a'.repeat(40) },
  details: { run: n, verdict: 'pass' },
  evidence: [{ path: 'models/credit-scoring/MODEL_CARD.md', sha256: 'b'.repeat(64) }],
});

/** A chain of entries as serialise writes them; `login(n)` names each entry's actor. */
function chainOf(n: number, login: (i: number) => string = () => 'ci-bot'): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let i = 1; i <= n; i++) {
    const last = entries.at(-1);
    entries.push(seal(draft(i, login(i)), last && { seq: last.seq, hash: last.hash }));
  }
  return entries;
}
const textOf = (entries: AuditEntry[]) => entries.map(serialise).join('');

/** The reference: the file decoded at once, split at line feeds, a last line with no line end torn unless JSON. */
async function* decoded(path: string): AsyncIterable<LogLine[]> {
  const parts: LogLine[] = readFileSync(path, 'utf8').split('\n');
  const last = parts.pop() as string;
  if (last) parts.push(isJson(last) ? last : { torn: last });
  yield parts;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function* inMemory(text: string): AsyncIterable<LogLine[]> {
  yield text.trimEnd().split('\n');
}

async function linesOf(batches: AsyncIterable<LogBatch>): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const batch of batches) {
    if (!Buffer.isBuffer(batch)) lines.push(...batch);
    else lines.push(...batch.toString('utf8', 0, batch.length - 1).split('\n'));
  }
  return lines;
}

/** Block sizes that split lines anywhere: smaller than a line, a few lines, and the default. */
const SIZES = [5, 64, 500, 1 << 20];

/** Reads `path` every way and expects each to say what the decoded text says; returns the reference verdict. */
async function agree(path: string, checkpoint?: { seq: number; hash: string }) {
  const reference = await linesOf(decoded(path));
  const expected = await verifyLog(decoded(path), checkpoint);
  for (const blockSize of SIZES) {
    const store = new FileStore(path, { blockSize });
    expect(await linesOf(store.lines()), `lines() in blocks of ${blockSize}`).toEqual(reference);
    expect(await linesOf(store.blocks()), `blocks() of ${blockSize}`).toEqual(reference);
    expect(await verifyLog(store.blocks(), checkpoint), `verify in blocks of ${blockSize}`).toEqual(expected);
    expect(await verifyLog(store.lines(), checkpoint)).toEqual(expected);
    // Verify reads no further than its first problem: the lines kept are those up to it (what anchors use).
    const wanted = [1, 2, 3, 7, reference.length, reference.length + 5];
    const [fromText, fromBytes] = [new Map<number, string>(), new Map<number, string>()];
    await verifyLog(keepLines(decoded(path), wanted, fromText));
    expect(await verifyLog(keepLines(store.blocks(), wanted, fromBytes), checkpoint)).toEqual(expected);
    const proven = (kept: Map<number, string>) => [...kept].filter(([n]) => n <= expected.entries);
    expect(proven(fromBytes), `lines kept from blocks of ${blockSize}`).toEqual(proven(fromText));
  }
  return expected;
}

describe('the file store in blocks, and verify of their bytes, say what the text says', () => {
  it('an intact log, its lines straddling blocks, with its checkpoint', async () => {
    const entries = chainOf(12);
    const last = entries.at(-1)!;
    const result = await agree(fileOf(textOf(entries)), { seq: last.seq, hash: last.hash });
    expect(result).toMatchObject({ ok: true, entries: 12, checkpoint: 'matched' });
  });

  it('an empty file: no lines, an empty chain', async () => {
    const path = fileOf('');
    expect(await linesOf(new FileStore(path).blocks())).toEqual([]);
    expect(await agree(path)).toMatchObject({ ok: true, entries: 0 });
  });

  it('a last line cut off is torn, in any block; a whole entry missing only its line end is kept', async () => {
    const text = textOf(chainOf(4));
    const result = await agree(fileOf(text.slice(0, -2)));
    expect(result.problem?.reason).toBe(
      'line 4 is incomplete: a write was cut off before its end (a torn line)',
    );
    expect(await agree(fileOf(text.slice(0, -1)))).toMatchObject({ ok: true, entries: 4 });
  });

  it('non-ASCII entries, their characters split across blocks, verify as text', async () => {
    const names = ['José', 'Łukasz', '山田', 'ops-🤖', 'ci-bot'];
    const entries = chainOf(10, (i) => names[i % names.length]!);
    const path = fileOf(textOf(entries));
    expect(await agree(path)).toMatchObject({ ok: true, entries: 10 });
    // Every split of a 4-byte character: a block boundary falls at each of its bytes for some size.
    const robot = Buffer.from(textOf(entries)).indexOf(Buffer.from('🤖'));
    for (let cut = 1; cut <= 4; cut++) {
      const lines = await linesOf(new FileStore(path, { blockSize: robot + cut }).lines());
      expect(lines.filter((line) => String(line).includes('ops-🤖'))).toHaveLength(2);
    }
  });

  it('an edited non-ASCII entry is caught as in text', async () => {
    const text = textOf(chainOf(6, () => 'José')).replace('"run":3', '"run":4');
    expect((await agree(fileOf(text))).problem).toMatchObject({ line: 3, seq: 3 });
  });

  it('CRLF line ends: each line keeps its carriage return, as the text does', async () => {
    const text = textOf(chainOf(5)).replaceAll('\n', '\r\n');
    // The carriage return is JSON whitespace: such lines are parsed and re-hashed, and hold.
    expect(await agree(fileOf(text))).toMatchObject({ ok: true, entries: 5 });
  });

  it('a line that is not JSON in a later block is named by its line number', async () => {
    const lines = textOf(chainOf(30)).split('\n');
    lines[24] = 'not json';
    const result = await agree(fileOf(lines.join('\n')));
    expect(result.problem).toEqual({ line: 25, seq: 25, reason: 'line 25 is not JSON' });
  });

  it('a line longer than a block, and than the buffer it is hashed in; empty lines', async () => {
    const long = seal(
      { ...draft(2), details: { note: 'x'.repeat(10_000) } },
      chainOf(1).map(({ seq, hash }) => ({ seq, hash }))[0],
    );
    const text = `${textOf(chainOf(1))}${serialise(long)}`;
    expect(await agree(fileOf(text))).toMatchObject({ ok: true, entries: 2 });
    expect((await agree(fileOf(`${text}\n${text}`))).problem?.reason).toBe('line 3 is not JSON');
  });

  it('bytes that are not UTF-8 are read as the text reads them', async () => {
    const bytes = Buffer.from(textOf(chainOf(3)));
    const broken = Buffer.concat([bytes.subarray(0, 40), Buffer.from([0xe2, 0x82]), bytes.subarray(40)]);
    expect((await agree(fileOf(broken))).problem).toMatchObject({ line: 1 });
    // A line sealed over its bytes as they are, invalid UTF-8 included: the text has U+FFFD there and so
    // another hash, and the bytes must not pass where the text fails.
    const entry = chainOf(1)[0]!;
    const line = Buffer.from(serialise(entry).trimEnd());
    const at = line.indexOf('"login":"ci-bot"') + 9;
    const raw = Buffer.concat([line.subarray(0, at), Buffer.from([0xff]), line.subarray(at)]);
    const hashAt = raw.indexOf(',"hash":"');
    const unsealed = Buffer.concat([raw.subarray(0, hashAt), raw.subarray(hashAt + 74)]);
    Buffer.from(sha256(unsealed)).copy(raw, hashAt + 9);
    const result = await agree(fileOf(Buffer.concat([raw, Buffer.from('\n')])));
    expect(result.ok).toBe(false);
  });

  it('sealed lines bent out of canonical form: a sequence number written otherwise, a time cut short', async () => {
    /** Re-seals a line edited as text over its bytes, the way a forger with the format in hand would. */
    const resealed = (text: string) => {
      const at = text.lastIndexOf(',"hash":"');
      const hash = sha256(text.slice(0, at) + text.slice(at + 74));
      return `${text.slice(0, at + 9)}${hash}${text.slice(at + 73)}`;
    };
    const [first, second] = textOf(chainOf(2)).split('\n');
    for (const seq of ['01', ' 1', '1.0', '1e0', '0x1', '', '-1', '9007199254740993', '1 ']) {
      const line = resealed(first!.replace('"seq":1,', `"seq":${seq},`));
      await agree(fileOf(`${line}\n${second}\n`));
    }
    await agree(fileOf(`${resealed(first!.replace('"time":"2026-11-02T10:00:00.000Z"', '"time":""'))}\n`));
    const noQuote = first!.replace(/"time":"[^"]*","type":"evaluated"/, '"time":"x,"type":"evaluated');
    await agree(fileOf(`${resealed(noQuote)}\n`));
  });

  it('time running backwards is flagged as in text', async () => {
    const entries: AuditEntry[] = [];
    for (const [i, time] of [
      '2026-03-01T00:00:00Z',
      '2026-01-15T00:00:00Z',
      'not a time',
      '2026-04-01T00:00:00Z',
    ].entries()) {
      const last = entries.at(-1);
      entries.push(seal({ ...draft(i + 1), time }, last && { seq: last.seq, hash: last.hash }));
    }
    const result = await agree(fileOf(textOf(entries)));
    expect(result.warnings).toHaveLength(1);
  });

  it('random damage anywhere, in any block, is judged as the text judges it', async () => {
    const entries = chainOf(8, (i) => (i % 3 ? 'ci-bot' : 'Zoë'));
    const clean = Buffer.from(textOf(entries));
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const inserts = [[0x0a], [0x0d], [0x22], [0x2c], [0xc3], [0xe2, 0x82, 0xac], [0x31], [0x7d]];
    for (let round = 0; round < 40; round++) {
      const bytes = Buffer.from(clean);
      const at = random(bytes.length);
      const damaged =
        round % 3 === 0
          ? Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + random(80))])
          : round % 3 === 1
            ? Buffer.concat([
                bytes.subarray(0, at),
                Buffer.from(inserts[random(inserts.length)]!),
                bytes.subarray(at),
              ])
            : bytes.fill(random(256), at, at + 1);
      const last = entries.at(-1)!;
      await agree(fileOf(damaged), round % 2 ? { seq: last.seq, hash: last.hash } : undefined);
    }
  });

  it('times are ordered as Date.parse orders them, rolled-over and odd ones included', async () => {
    const fields = {
      year: ['0000', '2025', '2026', '9999'],
      month: ['00', '01', '02', '12', '13'],
      day: ['00', '01', '28', '29', '30', '31', '32'],
      hour: ['00', '23', '24'],
      second: ['00', '59', '60'],
      fraction: ['.000', '.001', '.999', '.5', ''],
    };
    let seed = 7;
    const pick = (values: string[]) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return values[seed % values.length]!;
    };
    const time = () =>
      `${pick(fields.year)}-${pick(fields.month)}-${pick(fields.day)}T${pick(fields.hour)}:00:${pick(fields.second)}${pick(fields.fraction)}Z`;
    const close = (a: string) =>
      a.replace(/T\d\d/, `T${pick(fields.hour)}`).replace(/-\d\d-/, `-${pick(fields.month)}-`);
    // Pairs whose order as text is not their order to Date.parse: rolled over, or no time at all to it.
    const odd = [
      ['2026-02-29T12:00:00.000Z', '2026-03-01T00:00:00.000Z'],
      ['2026-02-30T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
      ['2026-02-31T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
      ['2026-01-02T00:00:00.000Z', '2026-01-01T24:00:00.000Z'],
      ['2027-01-01T00:00:00.000Z', '2026-13-01T00:00:00.000Z'],
      ['2026-01-02T00:00:00.000Z', '2026-01-01T00:00:00.000Zx'],
      ['2026-01-02T00:00:00.000Z', '2026-01-01T00:00:60.000Z'],
      ['2026-01-02T00:00:00.000Z', '2026-00-01T00:00:00.000Z'],
      ['2026-01-02T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
    ];
    const random = Array.from({ length: 400 }, (_, round) => {
      const first = time();
      return [first, round % 2 ? time() : close(first)];
    });
    for (const [first, second] of [...odd, ...random] as [string, string][]) {
      const entries: AuditEntry[] = [];
      for (const [i, at] of [first, second].entries()) {
        const last = entries.at(-1);
        entries.push(seal({ ...draft(i + 1), time: at }, last && { seq: last.seq, hash: last.hash }));
      }
      const result = await verifyLog(inMemory(textOf(entries)));
      const backwards = Date.parse(second) < Date.parse(first);
      expect(result.warnings, `${first} then ${second}`).toHaveLength(backwards ? 1 : 0);
    }
  });
});
