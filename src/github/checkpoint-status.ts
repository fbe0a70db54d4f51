import { type Checkpoint, formatCheckpoint } from '../audit/entry.js';
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
