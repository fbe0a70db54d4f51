import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AuditEntry, type EventDraft, formatCheckpoint, seal, sealSigned } from '../src/audit/entry.js';
import { ed25519Signer } from '../src/audit/signature.js';
import {
  CHECKPOINT_CONTEXT,
  type CheckpointStatus,
  readCheckpointStatuses,
  trustedCheckpoint,
} from '../src/github/checkpoint-status.js';
import type { GitHub } from '../src/github/octokit.js';

const gate = ed25519Signer(
  generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
);
const trusted = [{ key: gate.publicKey, role: 'gate' as const }];
const draft = (type: EventDraft['type']): EventDraft => ({
  type,
  time: '2026-11-02T10:00:00.000Z',
  actor: { login: 'octocat' },
  subject: { repository: 'acme/ml', commit: 'a'.repeat(40), environment: 'production' },
  details: {},
  evidence: [],
});

/** A log: 1 unsigned, 2 signed by the gate, 3 unsigned. */
async function log(): Promise<AuditEntry[]> {
  const one = seal(draft('custom.note'), undefined);
  const two = await sealSigned(draft('deployment.approved'), one, gate);
  const three = seal(draft('custom.note'), two);
  return [one, two, three];
}
const status = (entry: AuditEntry, creator: string | null): CheckpointStatus => ({
  checkpoint: { seq: entry.seq, hash: entry.hash },
  creator,
  createdAt: '2026-11-02T10:00:01Z',
});

describe('which checkpoint status an auditor believes', () => {
  it('one the App created, or one naming an entry a gate key signed; the highest of them', async () => {
    const entries = await log();
    const entryAt = (seq: number) => entries[seq - 1];
    const [one, two, three] = entries as [AuditEntry, AuditEntry, AuditEntry];
    // Anyone's workflow posts as github-actions[bot]: a status naming an unsigned entry proves nothing.
    expect(trustedCheckpoint([status(three, 'github-actions[bot]')], { entryAt, trusted })).toBeUndefined();
    expect(
      trustedCheckpoint([status(three, 'mallory')], { entryAt, trusted, appLogin: 'aims-gate[bot]' }),
    ).toBeUndefined();
    // The gate's signed entry: believed whoever posted it.
    expect(
      trustedCheckpoint([status(one, 'github-actions[bot]'), status(two, 'github-actions[bot]')], {
        entryAt,
        trusted,
      }),
    ).toMatchObject({
      checkpoint: { seq: 2 },
      why: expect.stringMatching(/^entry 2 is signed by the gate key \(SHA256:/),
    });
    // The App's own status: believed for what it names, and the highest wins.
    expect(
      trustedCheckpoint([status(two, 'github-actions[bot]'), status(three, 'AIMS-Gate[bot]')], {
        entryAt,
        trusted,
        appLogin: 'aims-gate[bot]',
      }),
    ).toMatchObject({
      checkpoint: { seq: 3 },
      why: 'created by the App (aims-gate[bot]) at 2026-11-02T10:00:01Z',
    });
    // A forged status over a rewritten log: its hash is no entry's, or its entry is signed by no gate key.
    const rewritten = seal(draft('deployment.approved'), one);
    expect(
      trustedCheckpoint([status(rewritten, 'github-actions[bot]')], { entryAt: () => rewritten, trusted }),
    ).toBeUndefined();
    expect(
      trustedCheckpoint([{ ...status(two, null), checkpoint: { seq: 2, hash: 'f'.repeat(64) } }], {
        entryAt,
        trusted,
      }),
    ).toBeUndefined();
  });

  it('reads the checkpoint statuses of a commit as GitHub lists them', async () => {
    const entries = await log();
    const listed = [
      {
        context: CHECKPOINT_CONTEXT,
        description: formatCheckpoint(entries[1]!),
        creator: { login: 'github-actions[bot]', type: 'Bot' },
        created_at: '2026-11-02T10:00:01Z',
        state: 'success',
      },
      {
        context: 'ci/build',
        description: '2:abc',
        creator: { login: 'ci', type: 'User' },
        created_at: '2026-11-02T10:00:00Z',
        state: 'success',
      },
      {
        context: CHECKPOINT_CONTEXT,
        description: 'not a checkpoint',
        creator: null,
        created_at: '2026-11-02T09:00:00Z',
        state: 'success',
      },
    ];
    const asked: unknown[] = [];
    const github = {
      rest: { repos: { listCommitStatusesForRef: {} } },
      paginate: async (_route: unknown, parameters: unknown) => {
        asked.push(parameters);
        return listed;
      },
    } as unknown as GitHub;
    expect(await readCheckpointStatuses(github, { owner: 'acme', repo: 'ml' }, 'a'.repeat(40))).toEqual([
      {
        checkpoint: { seq: 2, hash: entries[1]!.hash },
        creator: 'github-actions[bot]',
        createdAt: '2026-11-02T10:00:01Z',
      },
    ]);
    expect(asked).toEqual([{ owner: 'acme', repo: 'ml', ref: 'a'.repeat(40), per_page: 100 }]);
  });
});
