import type { AuditStore } from '../src/audit/store.js';
import { BranchStore } from '../src/github/branch-store.js';
import { extendsFrom } from '../src/github/evaluate.js';
import type { GitHub } from '../src/github/octokit.js';
import type { Repository } from '../src/github/pull-request.js';
import { RepositoryNotFound } from '../src/github/source.js';
import { type AppSettings, loadPolicy } from '../src/policy/load.js';
import type { Source } from '../src/source.js';

export interface OrgDefaults {
  settings: AppSettings;
  /** The organisation's config, for repositories without their own when it says `without-config: org-defaults`. */
  source?: Source;
}

/**
 * The organisation's defaults: `.github/aims-gate.yml` in the owner's `.github` repository, on its default
 * branch, as other Probot apps read organisation-wide config. No such repository or file: no defaults. An
 * invalid file is a configuration error, reported on the check like any other.
 */
export async function orgDefaults(github: GitHub, owner: string): Promise<OrgDefaults> {
  const source = extendsFrom(github, owner)('.github');
  try {
    const policy = await loadPolicy(source);
    return policy.configPath ? { settings: policy.app, source } : { settings: {} };
  } catch (error) {
    if (error instanceof RepositoryNotFound) return { settings: {} };
    throw error;
  }
}

/** The branch of the App's audit logs where a config names a file (which the App cannot write) or none is known. */
export const APP_AUDIT_BRANCH = 'aims-audit-log';
export const APP_AUDIT_LOG = { auditLog: `branch:${APP_AUDIT_BRANCH}`, releaseBranches: [] };

/**
 * Where the App records a repository's events: the config's `branch:NAME` (a `file:` log becomes the
 * branch aims-audit-log), in the repository itself or, when the organisation names one, in its central
 * audit repository: one branch there, one file and so one hash chain per source repository, so writers of
 * different repositories never share a chain and an auditor verifies each repository on its own.
 */
export function appAuditStore(
  github: GitHub,
  repository: Repository,
  policy: { auditLog: string; releaseBranches?: string[] },
  settings: AppSettings,
): AuditStore | undefined {
  if (policy.auditLog === 'none') return undefined;
  const branch = policy.auditLog.startsWith('branch:')
    ? policy.auditLog.slice('branch:'.length)
    : APP_AUDIT_BRANCH;
  const central = settings['audit-repository'];
  return central
    ? new BranchStore(github, {
        owner: repository.owner,
        repo: central,
        branch,
        path: `${repository.repo}/audit-log.jsonl`,
      })
    : new BranchStore(github, { ...repository, branch, reserved: policy.releaseBranches ?? [] });
}
