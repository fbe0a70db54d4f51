import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Finding } from './types.js';

/**
 * A finding's identity across evaluations: its rule, system, file and message with every number blanked.
 * Not its line (an edit above it keeps the finding) and not its numbers (a "30 days ago" that becomes "31
 * days ago" tomorrow is the same problem). Code scanning matches alerts by it, and the nonconformity register
 * knows by it when a finding opened and when it closed.
 */
export function findingFingerprint(finding: Pick<Finding, 'rule' | 'system' | 'path' | 'message'>): string {
  return createHash('sha256')
    .update(
      `${finding.rule}\0${finding.system ?? ''}\0${finding.path ?? ''}\0${finding.message.replace(/\d+/g, '#')}`,
    )
    .digest('hex')
    .slice(0, 32);
}

/**
 * What a nonconformity is about: a rule a system does not meet in one of its documents, named by the file's
 * name and not its folder (moving the system keeps it) and not by the message (rewording a heading, renaming a
 * risk or a date passing keeps it). Several findings of one rule in one document are one nonconformity.
 */
export function nonconformityKey(finding: Pick<Finding, 'rule' | 'system' | 'path'>): string {
  return createHash('sha256')
    .update(`${finding.rule}\0${finding.system ?? ''}\0${finding.path ? basename(finding.path) : ''}`)
    .digest('hex')
    .slice(0, 32);
}
