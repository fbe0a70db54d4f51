import type { ReadResult, Source } from '../source.js';
import type { GitHub } from './octokit.js';

export interface Revision {
  owner: string;
  repo: string;
  /** A commit SHA: reads are pinned to it, so a push during the check changes nothing. */
  commit: string;
}

interface TreeEntry {
  sha: string;
  size: number;
}

/** Blobs one GraphQL request reads at most. */
const BATCH = 100;

/**
 * A repository at one commit, read through the API: one recursive tree call lists every file with its
 * size, then reads asked for in the same tick are fetched together, up to 100 blobs per GraphQL request.
 * Files over the size limit are never downloaded.
 */
export class GitHubSource implements Source {
  private tree?: Promise<Map<string, TreeEntry>>;
  private pending: {
    path: string;
    entry: TreeEntry;
    resolve: (r: ReadResult) => void;
    reject: (e: unknown) => void;
  }[] = [];

  constructor(
    private readonly github: GitHub,
    private readonly at: Revision,
    readonly label = at.commit.slice(0, 7),
  ) {}

  async list(): Promise<string[]> {
    return [...(await this.entries()).keys()];
  }

  async read(path: string, maxBytes: number): Promise<ReadResult> {
    const entry = (await this.entries()).get(path);
    if (!entry) return { missing: true };
    if (entry.size > maxBytes) return { tooLarge: entry.size };
    return new Promise((resolve, reject) => {
      if (this.pending.push({ path, entry, resolve, reject }) === 1) queueMicrotask(() => void this.flush());
    });
  }

  private entries(): Promise<Map<string, TreeEntry>> {
    this.tree ??= this.github.rest.git
      .getTree({ owner: this.at.owner, repo: this.at.repo, tree_sha: this.at.commit, recursive: 'true' })
      .then(({ data }) => {
        if (data.truncated) {
          // A partial listing could hide an AI system: refuse rather than judge part of the repository.
          throw new Error(
            `the file tree of ${this.at.owner}/${this.at.repo}@${this.label} is too large for the API to list in one response`,
          );
        }
        return new Map(
          data.tree
            .filter((item) => item.type === 'blob' && item.path && item.sha)
            .map((item) => [item.path!, { sha: item.sha!, size: item.size ?? 0 }]),
        );
      });
    return this.tree;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    for (let start = 0; start < batch.length; start += BATCH) {
      const part = batch.slice(start, start + BATCH);
      try {
        const blobs = await this.fetchBlobs(part.map((p) => p.path));
        for (const [i, item] of part.entries()) {
          const blob = blobs[i];
          if (!blob) item.resolve({ missing: true });
          else if (blob.isBinary || blob.text === null)
            item.resolve({ bytes: await this.binaryBlob(item.entry.sha) });
          else item.resolve({ bytes: new TextEncoder().encode(blob.text) });
        }
      } catch (error) {
        for (const item of part) item.reject(error);
      }
    }
  }

  /** One GraphQL request for many blobs; paths travel as variables, never spliced into the query. */
  private async fetchBlobs(
    paths: string[],
  ): Promise<({ text: string | null; isBinary: boolean | null } | null)[]> {
    const variables: Record<string, string> = { owner: this.at.owner, repo: this.at.repo };
    const fields = paths.map((path, i) => {
      variables[`e${i}`] = `${this.at.commit}:${path}`;
      return `f${i}: object(expression: $e${i}) { ... on Blob { text isBinary } }`;
    });
    const declarations = paths.map((_, i) => `$e${i}: String!`).join(', ');
    const query = `query ($owner: String!, $repo: String!, ${declarations}) { repository(owner: $owner, name: $repo) { ${fields.join(' ')} } }`;
    const data = await this.github.graphql<{
      repository: Record<string, { text: string | null; isBinary: boolean | null } | null>;
    }>(query, variables);
    return paths.map((_, i) => data.repository[`f${i}`] ?? null);
  }

  /** GraphQL gives no text for binary blobs: their bytes come from the REST blob, so the binary check sees them. */
  private async binaryBlob(sha: string): Promise<Uint8Array> {
    const { data } = await this.github.rest.git.getBlob({
      owner: this.at.owner,
      repo: this.at.repo,
      file_sha: sha,
    });
    return Buffer.from(data.content, 'base64');
  }
}
