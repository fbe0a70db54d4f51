import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/audit/entry.js';
import { FileStore } from '../src/audit/file-store.js';
import { readEntries, readEntriesSync } from '../src/audit/read.js';
import { evaluateStream, RulesRan } from '../src/evaluate.js';
import { ownCopy } from '../src/parse/text.js';
import { FORMATS, type Format, renderChunks } from '../src/report/index.js';
import { InventoryLog, inventoryRows } from '../src/report/inventory-export.js';
import { MemorySource } from '../src/source.js';
import { streamOf } from '../src/stream.js';
import type { EvaluationStream } from '../src/types.js';
import { CARD, conformantRepo, EXAMPLE, readTree, run, TODAY } from './helpers.js';

/** A repository of `n` systems c0 … c(n-1), each the example's conformant system, some with a defect. */
function manySystems(n: number): Record<string, string> {
  const base = conformantRepo();
  const files: Record<string, string> = { '.github/aims-gate.yml': 'systems: [models/*]\n' };
  for (let i = 0; i < n; i++)
    for (const [path, text] of Object.entries(base)) {
      if (!path.startsWith('models/credit-scoring/')) continue;
      let content = text.replaceAll('credit-scoring', `c${i}`);
      // Every third card lacks its limitations: findings on some systems, not all.
      if (path === CARD && i % 3 === 0) content = content.replace(/## Bias, Risks, and Limitations[^#]*/, '');
      files[path.replace('credit-scoring', `c${i}`)] = content;
    }
  return files;
}

describe('evaluation system by system (issue 24)', () => {
  it('judges each system as it would be judged alone, across several waves of reads, in a fixed order', async () => {
    const files = manySystems(150);
    const all = await run(files);
    expect(all.systems).toHaveLength(150);
    for (const i of [0, 1, 64, 65, 128, 149]) {
      const alone = await run({
        '.github/aims-gate.yml': files['.github/aims-gate.yml']!,
        ...Object.fromEntries(Object.entries(files).filter(([p]) => p.startsWith(`models/c${i}/`))),
      });
      expect(all.findings.filter((f) => f.system === `c${i}`)).toEqual(alone.findings);
      expect(all.systems.find((s) => s.id === `c${i}`)).toEqual(alone.systems[0]);
    }
    expect(all.findings.some((f) => f.system === 'c0')).toBe(true);
    // Read again, the same evaluation: the order does not depend on which read finished first.
    expect(await run(files)).toEqual(all);
  });

  it('reports the second of two systems that share an id by its path, judged again under it', async () => {
    const files = manySystems(2);
    const card = files['models/c1/MODEL_CARD.md']!.replace(/system: c1/, 'system: c0');
    const evaluation = await run({ ...files, 'models/c1/MODEL_CARD.md': card });
    // The first has been written under the id when the second states it: the second is told apart by its folder.
    expect(evaluation.systems.map((s) => s.id)).toEqual(['c0', 'models/c1']);
    expect(new Set(evaluation.findings.map((f) => f.system))).toEqual(new Set(['c0', 'models/c1']));
    expect(evaluation.notices.filter((n) => n.startsWith('Two AI systems'))).toEqual([
      'Two AI systems are named "c0"; models/c0 keeps the name, models/c1 is reported by its path.',
    ]);
    // A rule's systems are kept as a bit per system and listed by id, the renamed one under its path.
    const ran = evaluation.rules.filter((r) => r.appliedTo.length > 0);
    expect(ran.length).toBeGreaterThan(0);
    for (const rule of ran) expect(rule.appliedTo).toEqual(['c0', 'models/c1']);
  });

  it("lists each rule's systems in the order judged, the stream's tail as the whole evaluation", async () => {
    const files = manySystems(70);
    // The impact assessment of every fifth system is missing: rules that read it run on the others only.
    for (let i = 0; i < 70; i += 5) delete files[`models/c${i}/impact-assessment.yml`];
    const whole = await run(files);
    const order = whole.systems.map((s) => s.id);
    const lists = whole.rules.map((r) => r.appliedTo);
    for (const list of lists) expect(list).toEqual(order.filter((id) => list.includes(id)));
    expect(lists.some((list) => list.length === 70)).toBe(true);
    expect(lists.some((list) => list.length > 0 && list.length < 70)).toBe(true);
    const stream = await evaluateStream({ source: new MemorySource(files), today: TODAY });
    for await (const _ of stream.results);
    expect(stream.tail().rules.map((r) => r.appliedTo)).toEqual(lists);
  });
});

describe('RulesRan', () => {
  it('keeps every rule of a policy past 512 rules (more than 64 bytes a system)', () => {
    const rules = 600;
    const ran = new RulesRan(rules);
    const all = Array.from({ length: rules }, (_, i) => i);
    for (let system = 0; system < 3; system++) ran.add(all);
    expect(ran.systems(599, ['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(ran.systems(0, ['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
  });
});

describe('ownCopy', () => {
  it('copies any text exactly, lone surrogates too', () => {
    for (const text of ['', 'c0', 'models/a-rather-long-folder-name', 'na\u00efve \ud83d\ude00 \ud800 end'])
      expect(ownCopy(text)).toBe(text);
  });
});

describe('output written as it is made', () => {
  const options = { color: false, version: 'x' };
  const rendered = async (format: Format, stream: EvaluationStream) => {
    const chunks: string[] = [];
    for await (const chunk of renderChunks(format, stream, options)) chunks.push(chunk);
    return chunks;
  };

  it('writes JSON as JSON.stringify does, the findings as each system is judged, the systems after them', async () => {
    // 100 systems: their part of the JSON, over 64 KiB, is put aside in a temporary file until the findings end.
    const files = manySystems(100);
    const evaluation = await run(files);
    const {
      verdict,
      failOn,
      today,
      policy,
      statement,
      rules,
      systems,
      findings,
      controls,
      waivers,
      notices,
    } = evaluation;
    const ordered = {
      failOn,
      today,
      policy,
      statement,
      findings,
      systems,
      rules,
      controls,
      waivers,
      notices,
      disabled: evaluation.disabled,
      verdict,
    };
    const chunks = await rendered(
      'json',
      await evaluateStream({ source: new MemorySource(files, 'head'), today: TODAY }),
    );
    expect(chunks.join('')).toBe(`${JSON.stringify(ordered, null, 2)}\n`);
    expect(chunks.length).toBeGreaterThan(systems.length);
    // A whole evaluation gives the same bytes.
    expect(FORMATS.json(evaluation)).toBe(chunks.join(''));
    const empty = { ...evaluation, findings: [], systems: [] };
    expect(JSON.parse(FORMATS.json(empty))).toEqual(JSON.parse(JSON.stringify(empty)));
  });

  it('writes every format from the stream as from the whole evaluation', async () => {
    const files = readTree(EXAMPLE);
    const evaluation = await run(files);
    for (const format of Object.keys(FORMATS) as Format[]) {
      const stream = await evaluateStream({ source: new MemorySource(files, 'head'), today: TODAY });
      expect((await rendered(format, stream)).join(''), format).toBe(FORMATS[format](evaluation, options));
    }
  });

  it('writes text a system at a time, every string made printable', async () => {
    const evaluation = await run(readTree(EXAMPLE));
    evaluation.systems[0]!.owner = 'evil\x1b[2J\n::error::forged';
    const chunks = await rendered('text', streamOf(evaluation));
    expect(chunks.length).toBeGreaterThan(evaluation.systems.length);
    const text = chunks.join('');
    expect(text).toContain('owner evil\\u001b[2J\\n::error::forged');
    expect(text).not.toContain('\x1b');
  });
});

describe('inventory, linear and in natural order', () => {
  it('lists systems as a person reads them: c2 before c10', async () => {
    const rows = inventoryRows(await run(manySystems(12)), []);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 12 }, (_, i) => `c${i}`));
  });

  it('keeps per system only the latest of each kind of entry, as a replay of the whole log would', async () => {
    const evaluation = await run(manySystems(2));
    let seq = 0;
    const entry = (type: string, subject: Record<string, string>, details: Record<string, unknown> = {}) =>
      ({
        seq: ++seq,
        type,
        time: `2026-0${Math.min(9, seq)}-01T00:00:00Z`,
        actor: { login: 'ci' },
        subject,
        details,
        evidence: [],
      }) as unknown as AuditEntry;
    const entries = [
      entry('evaluated', { system: 'c0' }, { verdict: 'fail' }),
      entry(
        'deployment.approved',
        { environment: 'production', commit: 'a'.repeat(40) },
        { systems: ['c1'] },
      ),
      entry('deployment.approved', { environment: 'staging', commit: 'b'.repeat(40) }),
      entry('evaluated', { system: 'c0' }, { verdict: 'pass' }),
      entry('deployment.approved', { system: 'c0', environment: 'production', commit: 'c'.repeat(40) }),
      entry('system.retired', { system: 'gone' }),
    ];
    const log = new InventoryLog();
    for (const e of entries) log.add(e);
    const rows = inventoryRows(evaluation, log);
    expect(rows).toEqual(inventoryRows(evaluation, entries));
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId.c0!.lastEvaluation).toBe('2026-04-01 pass');
    // Environments in the order of their first deployment: staging (entry 3) before production (entry 5).
    expect(Object.entries(byId.c0!.lastDeployment)).toEqual([
      ['staging', '2026-03-01 bbbbbbb'],
      ['production', '2026-05-01 ccccccc'],
    ]);
    expect(Object.entries(byId.c1!.lastDeployment)).toEqual([
      ['production', '2026-02-01 aaaaaaa'],
      ['staging', '2026-03-01 bbbbbbb'],
    ]);
    expect(byId.gone).toMatchObject({ status: 'retired', warning: 'retired: known only from the log' });
  });
});

describe('the log read as a stream', () => {
  it('reads the same entries synchronously as asynchronously, lines across blocks and a torn last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aims-gate-scale-'));
    const path = join(dir, 'log.jsonl');
    const line = (seq: number) =>
      JSON.stringify({
        seq,
        type: 'evaluated',
        time: '2026-01-01T00:00:00Z',
        actor: { login: 'ci' },
        subject: { system: `s${seq}` },
        details: { note: 'é'.repeat(seq) },
        evidence: [],
      });
    writeFileSync(path, `${[1, 2, 3, 4, 5].map(line).join('\n')}\nnot json\n{"seq": 7, "ty`);
    const store = new FileStore(path, { blockSize: 16 });
    const bad: number[] = [];
    const streamed: AuditEntry[] = [];
    for await (const e of readEntries(store, {}, (n) => bad.push(n))) streamed.push(e);
    const badSync: number[] = [];
    expect([...readEntriesSync(store, {}, (n) => badSync.push(n))]).toEqual(streamed);
    expect(streamed.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(badSync).toEqual(bad);
    expect(bad).toEqual([6, 7]);
  });
});
