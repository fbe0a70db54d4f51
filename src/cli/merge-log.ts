import { readFile, writeFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import type { Output } from './main.js';
import { parseCommand } from './options.js';

/** How to turn the merge driver on in a clone: .gitattributes names it, git's config says what runs. */
export const MERGE_DRIVER_SETUP =
  'git config merge.aims-gate-log.name "aims-gate audit log" && git config merge.aims-gate-log.driver "npx --no-install aims-gate merge-log %O %A %B %P"';

/**
 * A git merge driver for the in-repository audit log (`.gitattributes`: `.aims-gate/audit-log.jsonl
 * merge=aims-gate-log`). A hash chain has one order: when only one side appended, that side is the merge;
 * when both did, no merge exists without rewriting entries a checkpoint may already cite, so it refuses,
 * keeps our side, and says what to do instead of leaving conflict markers in a log. Its anchors file
 * (`<log>.anchors`) is merged the same way: an anchor is only good for the log it was made on.
 */
export async function mergeLog(argv: string[], io: Output): Promise<number> {
  const { positionals } = parseCommand(argv, {});
  const [ancestorPath, oursPath, theirsPath, shownPath = 'the audit log'] = positionals;
  if (!ancestorPath || !oursPath || !theirsPath)
    throw new UsageError('merge-log is a git merge driver: merge-log %O %A %B %P');
  const [ancestor = '', ours = '', theirs = ''] = await Promise.all(
    [ancestorPath, oursPath, theirsPath].map((p) => readFile(p, 'utf8').catch(() => '')),
  );
  if (theirs === ancestor || ours.startsWith(theirs)) return 0; // nothing new on their side
  if (ours === ancestor || theirs.startsWith(ours)) {
    await writeFile(oursPath, theirs); // only they appended: theirs is the merge
    return 0;
  }
  const count = (text: string) => text.split('\n').filter(Boolean).length;
  const shared = count(ancestor);
  if (shownPath.endsWith('.anchors')) {
    io.err(
      `aims-gate: both branches added anchors to ${shownPath} (after anchor ${shared}: ${count(ours) - shared} here, ${count(theirs) - shared} on the other branch).\n` +
        "The other branch's anchors are for entries of its own log, which this merge does not take, so ours are kept.\n" +
        `To go on: keep ours (git add ${shownPath}); once the log is merged, anchor its head again (aims-gate anchor).\n`,
    );
    return 1;
  }
  io.err(
    `aims-gate: both branches appended to the hash-chained audit log ${shownPath} (after entry ${shared}: ${count(ours) - shared} here, ${count(theirs) - shared} on the other branch).\n` +
      'A hash chain cannot be merged without rewriting entries that checkpoints may already cite, so ours is kept.\n' +
      `To go on: keep ours (git add ${shownPath}), then record the other branch's events again here (aims-gate record, or check --record);\n` +
      'to avoid it: record from one branch only (CI on the default branch), or use audit-log: branch:aims-audit-log, which the Action and the App write.\n',
  );
  return 1;
}
