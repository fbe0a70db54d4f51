import type { ReadResult, Source } from '../source.js';
import type { GitHub } from './octokit.js';

export interface Revision {
  owner: string;
  repo: string;
  /** A commit SHA: reads are pinned to it, so a push during the check changes nothing. */
  commit: string;
}

interface Blob {
  oid: string;
  byteSize: number;
  isBinary: boolean | null;
  isTruncated: boolean;
  text: string | null;
}

/** The repository does not exist, or this token may not see it. */
export class RepositoryNotFound extends Error {
  constructor(readonly repository: string) {
    super(`the repository ${repository} does not exist or cannot be read with this token`);
    this.name = 'RepositoryNotFound';
  }
}

/** Blobs one GraphQL request reads at most: the documents of ~80 systems at two revisions. */
const BATCH = 250;

/**
 * A repository at one commit, read through the API. `list()` costs one recursive tree call; reads are
 * batched, up to 250 blobs per GraphQL request, together with the reads of every other revision of the
 * same repository asked for in the same turn of the event loop (a pull request's base and head documents
 * travel in one request). Once the tree is listed, files over the size limit are never downloaded;
 * before that (the base revision, read only for its config and a few documents) GraphQL's `byteSize`
 * decides, and GitHub truncates what it sends of a large blob.
 */
export class GitHubSource implements Source {
  private tree?: Promise<Map<string, { size: number; sha: string; link: boolean }>>;
  private readonly reads = new Map<string, Promise<ReadResult>>();
  private readonly blobs: BlobReader;

  constructor(
    private readonly github: GitHub,
    private readonly at: Revision,
    readonly label = at.commit.slice(0, 7),
  ) {
    this.blobs = BlobReader.of(github, at);
  }

  get repository(): string {
    return this.at.repo;
  }

  async list(): Promise<string[]> {
    return [...(await this.entries()).keys()];
  }

  /** Each file's blob SHA: two revisions differ exactly where these do (one tree call, shared with list). */
  async blobShas(): Promise<Map<string, string>> {
    return new Map([...(await this.entries())].map(([path, entry]) => [path, entry.sha]));
  }

  /** Reads are pinned to one commit, so each path is fetched once however often it is asked for. */
  read(path: string, maxBytes: number): Promise<ReadResult> {
    const key = `${maxBytes}:${path}`;
    let result = this.reads.get(key);
    if (!result) {
      result = this.fetch(path, maxBytes);
      this.reads.set(key, result);
    }
    return result;
  }

  private async fetch(path: string, maxBytes: number): Promise<ReadResult> {
    if (this.tree) {
      const entry = (await this.tree).get(path);
      if (!entry) return { missing: true };
      if (entry.link) return { notFile: 'a symbolic link' };
      if (entry.size > maxBytes) return { tooLarge: entry.size };
    }
    const blob = await this.blobs.read(`${this.at.commit}:${path}`);
    if (!blob) return { missing: true };
    if (blob.byteSize > maxBytes || blob.isTruncated) return { tooLarge: blob.byteSize };
    // GraphQL gives no text for a binary blob: its bytes come from the REST blob, so the binary check sees them.
    if (blob.isBinary || blob.text === null) return { bytes: await this.binaryBlob(blob.oid) };
    return { bytes: new TextEncoder().encode(blob.text) };
  }

  private entries(): Promise<Map<string, { size: number; sha: string; link: boolean }>> {
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
            .filter((item) => item.type === 'blob' && item.path)
            // Mode 120000 is a symbolic link: its blob is the path it points to, not a document.
            .map((item) => [
              item.path!,
              { size: item.size ?? 0, sha: item.sha ?? '', link: item.mode === '120000' },
            ]),
        );
      });
    return this.tree;
  }

  private async binaryBlob(sha: string): Promise<Uint8Array> {
    const { data } = await this.github.rest.git.getBlob({
      owner: this.at.owner,
      repo: this.at.repo,
      file_sha: sha,
    });
    return Buffer.from(data.content, 'base64');
  }
}

/** Reads of one repository's blobs by `commit:path`, gathered over one turn of the event loop. */
class BlobReader {
  private static readonly readers = new WeakMap<GitHub, Map<string, BlobReader>>();
  private pending: { expression: string; resolve: (b: Blob | null) => void; reject: (e: unknown) => void }[] =
    [];

  static of(github: GitHub, { owner, repo }: { owner: string; repo: string }): BlobReader {
    const byRepo = BlobReader.readers.get(github) ?? new Map<string, BlobReader>();
    BlobReader.readers.set(github, byRepo);
    const key = `${owner}/${repo}`;
    const reader = byRepo.get(key) ?? new BlobReader(github, owner, repo);
    byRepo.set(key, reader);
    return reader;
  }

  private constructor(
    private readonly github: GitHub,
    private readonly owner: string,
    private readonly repo: string,
  ) {}

  read(expression: string): Promise<Blob | null> {
    return new Promise((resolve, reject) => {
      // setImmediate, not a microtask: reads that first await a listing still join the same request.
      if (this.pending.push({ expression, resolve, reject }) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    await Promise.all(
      Array.from({ length: Math.ceil(batch.length / BATCH) }, async (_, n) => {
        const part = batch.slice(n * BATCH, (n + 1) * BATCH);
        try {
          const blobs = await this.fetch(part.map((p) => p.expression));
          for (const [i, item] of part.entries()) item.resolve(blobs[i] ?? null);
        } catch (error) {
          for (const item of part) item.reject(error);
        }
      }),
    );
  }

  /** One GraphQL request for many blobs; expressions travel as variables, never spliced into the query. */
  private async fetch(expressions: string[]): Promise<(Blob | null)[]> {
    const variables: Record<string, string> = { owner: this.owner, repo: this.repo };
    const fields = expressions.map((expression, i) => {
      variables[`e${i}`] = expression;
      return `f${i}: object(expression: $e${i}) { ... on Blob { oid byteSize isBinary isTruncated text } }`;
    });
    const declarations = expressions.map((_, i) => `$e${i}: String!`).join(', ');
    const query = `query ($owner: String!, $repo: String!, ${declarations}) { repository(owner: $owner, name: $repo) { ${fields.join(' ')} } }`;
    const name = `${this.owner}/${this.repo}`;
    const data = await this.github
      .graphql<{ repository: Record<string, Partial<Blob> | null> | null }>(query, variables)
      .catch((error: { errors?: { type?: string }[] }) => {
        throw error.errors?.some((e) => e.type === 'NOT_FOUND') ? new RepositoryNotFound(name) : error;
      });
    if (!data.repository) throw new RepositoryNotFound(name);
    // A path that names a folder is a Tree: the Blob fragment leaves it empty, and it is no file.
    return expressions.map((_, i) => {
      const object = data.repository![`f${i}`];
      return object?.oid ? (object as Blob) : null;
    });
  }
}
