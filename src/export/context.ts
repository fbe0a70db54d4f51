import { randomUUID } from 'node:crypto';
import { sha256 } from '../audit/entry.js';
import { evaluate } from '../evaluate.js';
import { LIMITS } from '../limits.js';
import type { Source } from '../source.js';
import type { Evaluation } from '../types.js';
import { gatherFacts, type SystemFacts } from './facts.js';

/** Where and when an export is made: what both formats and the attestation say about the repository. */
export interface ExportContext {
  /** UTC, to the second (SPDX's DateTime has no fractions). */
  time: string;
  uuid: string;
  /** "owner/name", or the folder's name outside GitHub. */
  repository: string;
  /** https://github.com/owner/name, where the repository is on GitHub. */
  repositoryUrl?: string;
  commit?: string;
  /** The commit's own time: SPDX's release time of what the commit holds. */
  commitTime?: string;
  /** The configuration that judged the systems: its path (or URL at the commit) and SHA-256. */
  policy: { uri: string; sha256?: string };
  verdict: Evaluation['verdict'];
  /** A document's address: its URL at the commit on GitHub, else its path in the repository. */
  fileUrl(path: string): string;
}

export interface Exported {
  evaluation: Evaluation;
  systems: SystemFacts[];
  context: ExportContext;
}

/** UTC time to the second, as SPDX 3's DateTime and in-toto write it. */
export function utcSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Evaluates the repository and gathers what the exports say of each system. `where` is what the caller knows
 * of the revision (the CLI asks git and the CI variables; the Action knows the deployed commit).
 */
export async function exportFacts(
  source: Source,
  where: {
    repository: string;
    commit?: string;
    commitTime?: string;
    serverUrl?: string;
    configPath?: string;
    /** The commit whose config judged (the gate's default-branch head); default: `commit`. */
    policyCommit?: string;
    today: string;
    now?: Date;
    uuid?: string;
  },
  /** The gate's own evaluation, with the config that judged it (its trusted revision): not evaluated again. */
  judged?: { evaluation: Evaluation; policySource: Source },
): Promise<Exported> {
  const evaluation =
    judged?.evaluation ?? (await evaluate({ source, configPath: where.configPath, today: where.today }));
  const systems = await gatherFacts(source, evaluation);
  const repositoryUrl = /^[^/\s]+\/[^/\s]+$/.test(where.repository)
    ? `${where.serverUrl ?? 'https://github.com'}/${where.repository}`
    : undefined;
  const at = (path: string, commit = where.commit) =>
    repositoryUrl && commit ? `${repositoryUrl}/blob/${commit}/${path}` : path;
  const configPath = evaluation.policy.configPath;
  const config = configPath
    ? await (judged?.policySource ?? source).read(configPath, LIMITS.maxFileBytes)
    : undefined;
  return {
    evaluation,
    systems,
    context: {
      time: utcSeconds(where.now ?? new Date()),
      uuid: where.uuid ?? randomUUID(),
      repository: where.repository,
      ...(repositoryUrl ? { repositoryUrl } : {}),
      ...(where.commit ? { commit: where.commit } : {}),
      ...(where.commitTime ? { commitTime: where.commitTime } : {}),
      policy: {
        // No config file: the built-in baseline judged, named by its pack.
        uri: configPath
          ? at(configPath, where.policyCommit ?? where.commit)
          : `aims-gate:${evaluation.policy.id}`,
        ...(config && 'bytes' in config ? { sha256: sha256(config.bytes) } : {}),
      },
      verdict: evaluation.verdict,
      fileUrl: (path) => at(path),
    },
  };
}
