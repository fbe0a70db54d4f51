import { isAbsolute, join } from 'node:path';
import { FileStore } from '../audit/file-store.js';
import type { AuditStore } from '../audit/store.js';
import { BranchStore } from './branch-store.js';
import type { GitHub } from './octokit.js';
import type { Repository } from './pull-request.js';

/**
 * The store an `audit-log` setting names: `branch:NAME`, `file:PATH` (in the workspace) or `none`. A branch
 * must be the log's own: never `reserved` (the release branches), the default branch or a protected one.
 */
export function auditStoreFor(
  spec: string,
  github: GitHub,
  repository: Repository,
  workspace: string,
  reserved: string[] = [],
): AuditStore | undefined {
  if (spec === 'none') return undefined;
  if (spec.startsWith('branch:'))
    return new BranchStore(github, { ...repository, branch: spec.slice('branch:'.length), reserved });
  if (spec.startsWith('file:')) {
    const path = spec.slice('file:'.length);
    return new FileStore(isAbsolute(path) ? path : join(workspace, path));
  }
  throw new Error(`audit-log must be branch:NAME, file:PATH or none, not "${spec}"`);
}

/**
 * Where a deployment gate reads its own past approvals: a `branch:` log only. A `file:` log in the workspace
 * belongs to the very commit being judged, so it proves nothing.
 */
export function historyStoreFor(
  spec: string,
  github: GitHub,
  repository: Repository,
  reserved: string[],
): AuditStore | undefined {
  return spec.startsWith('branch:') ? auditStoreFor(spec, github, repository, '.', reserved) : undefined;
}
