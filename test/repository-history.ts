import { generateKeyPairSync } from 'node:crypto';
import { ed25519Signer, type Signer } from '../src/audit/signature.js';
import type { AuditStore } from '../src/audit/store.js';
import { recordDeployment } from '../src/github/evaluate.js';
import type { FakeGitHub, FakePull } from './fake-github.js';

type Files = Record<string, string>;

/** The tests' gate key (PKCS#8 PEM), made afresh in each process: the key the trusted config lists. */
export const TEST_GATE_KEY = generateKeyPairSync('ed25519').privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;
export const TEST_GATE: Signer = ed25519Signer(TEST_GATE_KEY);

/**
 * The organisation's config (its .github repository), which lists the gate's key: a key listed there, where the
 * repository's writers cannot list their own, anchors what the gate's entries say of the repository's config.
 */
export const ORG_CONFIG = `systems: [models/*]
signers:
  - { key: ${TEST_GATE.publicKey}, role: gate, name: the test gate }
`;

/** A trusted config for the gate: one approval for production, and the governance team's for high risk. */
export const GATE_CONFIG = `_extends: .github
systems: [models/*]
audit-log: none
approvals:
  - environment: production
    require: [{ count: 1 }]
  - environment: production
    tiers: [high, prohibited]
    require: [{ count: 1, teams: [acme/ai-governance] }]
`;

/**
 * The gate's own approval of `commit` in a log, as recordDeployment writes it, signed by `signer`: where the
 * next change set starts, and `config`, the default branch's commit whose config judged it.
 */
export function approvedInLog(
  log: AuditStore,
  repository: string,
  commit: string,
  environment = 'production',
  config?: string,
  signer: Signer | null = TEST_GATE,
) {
  return recordDeployment(
    log,
    { approved: true, reason: 'approved', ...(config ? { config } : {}) },
    {
      time: '2026-11-20T00:00:00Z',
      actor: { login: 'aims-gate' },
      subject: { repository, commit, environment },
      writer: 'aims-gate Action, workflow run in a test',
      ...(signer ? { signer } : {}),
    },
  );
}
type Change = (files: Files) => Files;

/** A review as GET /pulls/{n}/reviews returns it. */
export const review = (login: string, commit: string, state = 'APPROVED', type = 'User') => ({
  id: login.length * 1000 + state.length,
  user: { login, id: login.length, type },
  state,
  commit_id: commit,
  submitted_at: '2026-11-20T10:00:00Z',
});

/**
 * A repository's history in the fake GitHub, told as a release manager would: pull requests merged by merge
 * commit, squash or rebase, direct pushes, open and closed pull requests, and deployments.
 */
export class RepositoryHistory {
  private readonly files = new Map<string, Files>();
  private merges = 0;

  constructor(
    readonly github: FakeGitHub,
    initial: Files,
  ) {
    // The organisation's config, where the gate's key is listed, unless a test's organisation says otherwise.
    if (!github.organisation.has('.github/aims-gate.yml'))
      github.organisation.set('.github/aims-gate.yml', ORG_CONFIG);
    const root = this.commit(initial, [], 'initial commit');
    github.branch('main', root);
  }

  /** Where a branch stands. */
  head(branch = 'main'): string {
    return this.tip(branch);
  }

  filesAt(sha: string): Files {
    return this.files.get(sha)!;
  }

  /** A direct push of a change onto a branch (creating the branch from main when new). */
  push(branch: string, change: Change, message = 'direct push'): string {
    const parent = this.tip(branch);
    const sha = this.commit(change(this.files.get(parent)!), [parent], message);
    this.github.branch(branch, sha);
    return sha;
  }

  /**
   * A pull request of `commits` commits applying `change` (the last commit completes it), from a branch off
   * `into`'s head. Merged unless `state` says otherwise, by `method`; reviews are made by the caller on
   * `pull.head`, or pass `approvers` to approve the final head.
   */
  pullRequest({
    number,
    into = 'main',
    change,
    commits = 2,
    method = 'merge',
    state = 'merged',
    author = 'dev',
    approvers = [],
    reviews,
    pushedBy,
  }: {
    number: number;
    into?: string;
    change: Change;
    commits?: number;
    method?: 'merge' | 'squash' | 'rebase';
    state?: FakePull['state'];
    author?: string;
    approvers?: string[];
    reviews?: (head: string, own: string[]) => unknown[];
    /** Who pushed the final head, as GitHub's repository activity records it (by default the author). */
    pushedBy?: string | null;
  }): FakePull {
    const baseSha = this.tip(into);
    const before = this.files.get(baseSha)!;
    const after = change(before);
    const own: string[] = [];
    let parent = baseSha;
    for (let i = 1; i <= commits; i++) {
      // Earlier commits hold part of the change: here, everything but the last file it touches.
      const partial = i === commits ? after : { ...before, ...partOf(before, after) };
      parent = this.commit(partial, [parent], `#${number}: step ${i}`);
      own.push(parent);
    }
    const head = own.at(-1)!;
    const pull: FakePull = {
      number,
      state,
      base: into,
      baseSha,
      head,
      author,
      reviews: reviews ? reviews(head, own) : approvers.map((login) => review(login, head)),
      commits: own,
      files: changedPaths(before, after),
      ...(pushedBy !== undefined ? { pushedBy } : {}),
    };
    if (state === 'merged') {
      const tip = this.tip(into);
      const merged = { ...this.files.get(tip)!, ...after };
      for (const path of Object.keys(before)) if (!(path in after)) delete merged[path];
      if (method === 'merge') {
        pull.mergeCommit = this.commit(merged, [tip, head], `Merge pull request #${number}`);
      } else if (method === 'squash') {
        pull.mergeCommit = this.commit(merged, [tip], `#${number} (squashed)`);
      } else {
        let at = tip;
        pull.rebased = own.map((sha, i) => {
          at = this.commit(
            i === own.length - 1 ? merged : this.files.get(sha)!,
            [at],
            `#${number}: step ${i + 1}`,
          );
          return at;
        });
        pull.mergeCommit = at;
      }
      pull.mergedOrder = ++this.merges;
      this.github.branch(into, pull.mergeCommit);
    }
    this.github.pulls.set(number, pull);
    return pull;
  }

  /** A later pull request, merged into `into`, whose head is an existing commit, approved there by `approvers`. */
  carry(number: number, into: string, commit: string, approvers: string[]): FakePull {
    const pull = this.pullRequest({ number, into, change: (files) => files, commits: 1 });
    return Object.assign(pull, {
      head: commit,
      commits: [commit],
      reviews: approvers.map((login) => review(login, commit)),
    });
  }

  /** A deployment GitHub recorded as successful. */
  deployed(commit: string, environment = 'production'): void {
    this.github.deployments.unshift({ commit, environment, state: 'ACTIVE' });
  }

  private tip(branch: string): string {
    const sha = (this.github as unknown as { refs: Map<string, string> }).refs.get(`heads/${branch}`);
    if (sha) return sha;
    const main = (this.github as unknown as { refs: Map<string, string> }).refs.get('heads/main')!;
    this.github.branch(branch, main);
    return main;
  }

  private commit(files: Files, parents: string[], message: string): string {
    const sha = this.github.seed(files, undefined, parents, message);
    this.files.set(sha, files);
    return sha;
  }
}

function changedPaths(before: Files, after: Files): string[] {
  const paths = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...paths].filter((p) => before[p] !== after[p]).sort();
}

function partOf(before: Files, after: Files): Files {
  const paths = changedPaths(before, after).filter((p) => p in after);
  return Object.fromEntries(paths.slice(0, -1).map((p) => [p, after[p]!]));
}
