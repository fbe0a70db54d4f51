import {
  type AuditEntry,
  type Checkpoint,
  entryHash,
  formatCheckpoint,
  parseCheckpoint,
} from '../audit/entry.js';
import { isGateKey, signerOf, signerWords, type TrustedKey } from '../audit/signature.js';
import type { GitHub } from './octokit.js';
import type { Repository } from './pull-request.js';

/** The commit status that carries a log's checkpoint. */
export const CHECKPOINT_CONTEXT = 'aims-gate/audit-checkpoint';

/**
 * Publishes the log's checkpoint after an append as a commit status on the audited commit (description
 * `SEQ:HASH`). GitHub keeps every status a commit was given, with its time and creator, and offers no way to
 * edit or delete one: whoever can rewrite the log's branch cannot rewrite these, so `aims-gate verify
 * --checkpoint` has a checkpoint its writer could not forge after the fact. A failure is passed to `warn`
 * (the Action's warning, the App's log), never thrown: the entry is in the log already, and stays there.
 */
export async function publishCheckpoint(
  github: GitHub,
  repository: Repository,
  commit: string | undefined,
  checkpoint: Checkpoint,
  warn: (problem: string) => void,
): Promise<void> {
  if (!commit)
    return warn(
      `the checkpoint ${formatCheckpoint(checkpoint)} was not published as a commit status: the entry names no commit`,
    );
  try {
    await github.rest.repos.createCommitStatus({
      ...repository,
      sha: commit,
      state: 'success',
      context: CHECKPOINT_CONTEXT,
      description: formatCheckpoint(checkpoint),
    });
  } catch (error) {
    warn(
      `the audit log's checkpoint ${formatCheckpoint(checkpoint)} is recorded, but could not be published as a commit status on ${commit.slice(0, 7)}: ${(error as Error).message}`,
    );
  }
}

/** The commit status that names an approval's attestation, per environment: `aims-gate/attestation: production`. */
export const attestationContext = (environment: string) => `aims-gate/attestation: ${environment}`;

/**
 * Publishes an approved deployment's attestation on the deployed commit: a status whose description is the
 * SHA-256 the log's entry records of the envelope file and whose link is the file beside the entry (a branch
 * log). It shows where a release manager looks at a commit (its checks, the pull request that merged it),
 * one per environment, and, like the checkpoint, GitHub keeps it with its creator and never edits it. A
 * failure warns: the approval and its entry stand.
 */
export async function publishAttestation(
  github: GitHub,
  repository: Repository,
  commit: string,
  attestation: { environment: string; digest: string; url?: string },
  warn: (problem: string) => void,
): Promise<void> {
  try {
    await github.rest.repos.createCommitStatus({
      ...repository,
      sha: commit,
      state: 'success',
      context: attestationContext(attestation.environment),
      // GitHub keeps 140 characters: the digest is 71.
      description: attestation.digest,
      ...(attestation.url ? { target_url: attestation.url } : {}),
    });
  } catch (error) {
    warn(
      `the attestation ${attestation.digest} is recorded, but could not be published as a commit status on ${commit.slice(0, 7)}: ${(error as Error).message}`,
    );
  }
}

/** An `aims-gate/audit-checkpoint` status as GitHub keeps it: the checkpoint it states, who created it, when. */
export interface CheckpointStatus {
  checkpoint: Checkpoint;
  /** The creator's login (`<slug>[bot]` for an App, `github-actions[bot]` for any workflow's token); null if GitHub gives none. */
  creator: string | null;
  createdAt: string;
}

/** The checkpoint statuses of a commit, newest first, as GitHub lists them (a description not SEQ:HASH is left out). */
export async function readCheckpointStatuses(
  github: GitHub,
  repository: Repository,
  commit: string,
): Promise<CheckpointStatus[]> {
  const statuses = await github.paginate(github.rest.repos.listCommitStatusesForRef, {
    ...repository,
    ref: commit,
    per_page: 100,
  });
  return statuses.flatMap((s) => {
    const checkpoint = s.context === CHECKPOINT_CONTEXT ? parseCheckpoint(s.description ?? '') : undefined;
    return checkpoint ? [{ checkpoint, creator: s.creator?.login ?? null, createdAt: s.created_at }] : [];
  });
}

/**
 * Which checkpoint status to believe. Anyone who can push can post a status with any description; GitHub
 * says only who created it. So a status counts when
 * - its creator is the App (`appLogin`, its `<slug>[bot]`): nobody else posts as the App; or
 * - the entry it names is in the log with that hash and signed by a gate key: a forged status over a
 *   rewritten log names an entry whose signature fails, or one the gate really signed, which the rewrite
 *   kept. The Action's statuses are created by github-actions[bot], as any workflow's are: they count this
 *   way only.
 * A status description holds 140 characters: a signature (~240 in SSHSIG) does not fit, hence the second way.
 * A status naming an entry past the end of the log at hand counts too, unverified: it is either a forgery or
 * the mark of a log truncated after it (a rejection, an incident, a later decision dropped), and skipping it
 * would let the truncated log "match" an older status. Believed, it makes verify fail (the log does not reach
 * it), which is the right answer for both.
 * Of those that count, the highest sequence number wins: a status naming an older entry cannot hide the
 * entries after it. Undefined when none counts.
 */
export function trustedCheckpoint(
  statuses: CheckpointStatus[],
  {
    appLogin,
    entryAt,
    trusted,
  }: {
    appLogin?: string;
    /** The log's entry at a sequence number, where the caller has it. */
    entryAt: (seq: number) => AuditEntry | undefined;
    trusted: readonly TrustedKey[];
  },
): { checkpoint: Checkpoint; why: string } | undefined {
  let best: { checkpoint: Checkpoint; why: string } | undefined;
  for (const status of statuses) {
    const { checkpoint } = status;
    if (best && checkpoint.seq <= best.checkpoint.seq) continue;
    if (appLogin && status.creator?.toLowerCase() === appLogin.toLowerCase()) {
      best = { checkpoint, why: `created by the App (${appLogin}) at ${status.createdAt}` };
      continue;
    }
    const entry = entryAt(checkpoint.seq);
    if (!entry) {
      best = {
        checkpoint,
        why: `names entry ${checkpoint.seq}, past the end of the log at hand (created by ${status.creator ?? 'an unknown creator'} at ${status.createdAt}): the log was truncated, or the status is forged`,
      };
      continue;
    }
    // Its own hash must hold for its content too: a line's bytes can claim a hash its parsed entry does not
    // have (a repeated key: the bytes chain by one value, JSON.parse reads the other).
    if (entry.hash !== checkpoint.hash || entryHash(entry) !== entry.hash) continue;
    const check = signerOf(entry, trusted);
    if (isGateKey(check)) best = { checkpoint, why: `entry ${checkpoint.seq} is ${signerWords(check)}` };
  }
  return best;
}
