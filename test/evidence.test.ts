import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AuditEntry, sha256 as sha256Hex } from '../src/audit/entry.js';
import { checkEvidence, citedFiles, supersededWords } from '../src/audit/evidence.js';

const dir = mkdtempSync(join(tmpdir(), 'aims-evidence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Cites = Pick<AuditEntry, 'seq' | 'type' | 'evidence' | 'actor'> & { sig?: string };
const cites = (seq: number, type: string, path: string, text: string, sig?: string): Cites => ({
  seq,
  type: type as AuditEntry['type'],
  actor: { login: seq === 1 ? 'aims-gate' : 'bob' },
  evidence: [{ path, sha256: sha256Hex(text) }],
  ...(sig ? { sig } : {}),
});

describe('evidence the log cites (7.5.3)', () => {
  it('lets a later evaluation supersede a document, naming the entry and its writer', async () => {
    writeFileSync(join(dir, 'card.md'), 'v2');
    const files = await checkEvidence(
      dir,
      citedFiles([cites(1, 'evaluated', 'card.md', 'v1'), cites(2, 'evaluated', 'card.md', 'v2', 'x')]),
    );
    expect(files.map((f) => [f.sha256 === sha256Hex('v1') ? 'v1' : 'v2', f.state])).toEqual([
      ['v1', 'superseded'],
      ['v2', 'matches'],
    ]);
    expect(supersededWords(files[0]!)).toBe(
      'superseded by entry 2 (evaluated, written by bob, signed), which cites a later version',
    );
  });

  it("never lets anything supersede a record's evidence: an edited record is changed", async () => {
    writeFileSync(join(dir, 'minutes.md'), 'edited');
    const files = await checkEvidence(
      dir,
      citedFiles([
        cites(1, 'management.review', 'minutes.md', 'as held'),
        cites(2, 'custom.note', 'minutes.md', 'edited'),
        cites(3, 'evaluated', 'minutes.md', 'edited'),
      ]),
    );
    expect(files.map((f) => [f.first, f.record, f.state])).toEqual([
      [1, true, 'changed'],
      [2, true, 'matches'],
    ]);
  });
});
