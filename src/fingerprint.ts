import { createHash } from 'node:crypto';
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
