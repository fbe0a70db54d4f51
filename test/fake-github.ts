import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// biome-ignore lint/suspicious/noExplicitAny: JSON read field by field
type Json = any;

/**
 * A small GitHub on 127.0.0.1 serving the Git Data API the way GitHub does for one repository: blobs,
 * trees on base_tree, commits, and refs whose non-forced update must be a fast forward (else 422).
 * Faults can be queued: a 500, a secondary rate limit (403 with retry-after), a dropped connection.
 */
/**
 * A fault for the next request: a 500 or 502, a dropped connection, a secondary rate limit as GitHub sends it
 * (403 with retry-after), a 429 with retry-after and no word of which limit; or none (the usual answer).
 */
export type Fault = '500' | '502' | 'secondary-rate-limit' | '429' | 'drop' | 'none';

export class FakeGitHub {
  readonly requests: string[] = [];
  /** The body of every request that has one, in order. */
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are whatever the client sent
  readonly bodies: { request: string; body: any }[] = [];
  private readonly blobs = new Map<string, Buffer>();
  private readonly trees = new Map<string, { path: string; mode: string; type: string; sha: string }[]>();
  private readonly commits = new Map<string, { tree: string; parents: string[]; message: string }>();
  private readonly refs = new Map<string, string>();
  private readonly faults: Fault[] = [];
  private server?: Server;
  url = '';

  constructor(readonly repository = 'acme/ml-platform') {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Fixed answers for REST endpoints the Git Data routes do not cover (pull request files, reviews, teams). */
  readonly answers = new Map<string, unknown>();

  answer(method: string, path: string, body: unknown): void {
    this.answers.set(`${method} ${path}`, body);
  }

  /** Commits these files (path → content) on `parents` (none by default) and returns the commit's SHA (or `sha`). */
  seed(
    files: Record<string, string | Uint8Array>,
    sha?: string,
    parents: string[] = [],
    message = 'seed',
  ): string {
    const entries = Object.entries(files).map(([path, content]) => {
      const bytes = Buffer.from(content);
      const sha = id('blob', bytes);
      this.blobs.set(sha, bytes);
      return { path, mode: '100644', type: 'blob', sha };
    });
    const tree = id('tree', entries);
    this.trees.set(tree, entries);
    const commit = sha ?? id('commit', [tree, this.commits.size]);
    this.commits.set(commit, { tree, parents, message });
    return commit;
  }

  /** Points a branch at a commit, as a push does. */
  branch(name: string, sha: string): void {
    this.refs.set(`heads/${name}`, sha);
  }

  /** The repository's default branch, as GET /repos and GraphQL's defaultBranchRef name it. */
  defaultBranch = 'main';
  /** Branches GitHub reports as protected (GET /repos/{repo}/branches/{branch}). */
  readonly protectedBranches = new Set<string>();
  /** Pull requests, as the REST and GraphQL answers need them. */
  readonly pulls = new Map<number, FakePull>();
  /** Logins without write access to the repository: GraphQL's `authorCanPushToRepository` is false for them. */
  readonly readOnly = new Set<string>();
  /** Deployments, newest first, as GraphQL's repository.deployments lists them. */
  readonly deployments: { commit: string; environment: string; state: string; creator?: 'Bot' | 'User' }[] =
    [];

  /** Routes ("METHOD /path") that always answer 500. */
  readonly broken: RegExp[] = [];

  /** Answer tree listings as GitHub does past its limits: `truncated: true`. */
  truncateTrees = false;

  get pendingFaults(): number {
    return this.faults.length;
  }

  fail(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  /**
   * Faults spread over requests, as GitHub's are: a request sent again after meeting a fault is answered,
   * so concurrent clients that retry in step cannot keep landing on the same request. Without it, faults
   * are served in order to whatever comes next (to test how many tries a client makes).
   */
  spreadFaults = false;
  private readonly faulted = new Set<string>();

  /** The content of a file at the head of a branch, as a client would clone it. */
  file(branch: string, path: string): string | undefined {
    const commit = this.refs.get(`heads/${branch}`);
    const entry = commit && this.trees.get(this.commits.get(commit)!.tree)!.find((e) => e.path === path);
    return entry ? this.blobs.get(entry.sha)!.toString('utf8') : undefined;
  }

  /** How many commits the branch's history has. */
  history(branch: string): number {
    let n = 0;
    for (let sha = this.refs.get(`heads/${branch}`); sha; sha = this.commits.get(sha)!.parents[0]) n++;
    return n;
  }

  /** Files of the organisation's `.github` repository at its head (none: as if it had no such file). */
  readonly organisation = new Map<string, string>();

  /** Routes that answer 500 the next `times` times, then as usual. */
  readonly flaky: { route: RegExp; times: number }[] = [];
  /** Milliseconds each request matching `route` is held before its answer (work under way, in tests). */
  readonly slow: { route: RegExp; ms: number }[] = [];
  /** Check runs made by POST /check-runs when no fixed answer is set: by id, as GitHub keeps them. */
  readonly checkRuns = new Map<
    number,
    { head_sha: string; status: string; started_at?: string | null; conclusion?: string; output?: Json }
  >();

  /** Commit statuses made by POST /statuses/{sha}, in order: GitHub keeps every one. */
  readonly statuses: {
    sha: string;
    state: string;
    context: string;
    description?: string;
    target_url?: string;
  }[] = [];
  /** Answer POST /statuses as GitHub answers a token without `statuses: write`. */
  statusesForbidden = false;

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.url);
    // Octokit percent-encodes the slash in a ref name ("heads%2Fmain"); GitHub decodes it. GitHub Enterprise
    // Server's paths (GHE_HOST, as the App's process uses) start /api/v3, and its GraphQL is /api/graphql.
    const pathname = decodeURIComponent(url.pathname)
      .replace(/^\/api\/v3(?=\/)/, '')
      .replace(/^\/api\/graphql$/, '/graphql');
    const request = `${req.method} ${pathname}`;
    this.requests.push(request);
    for (const { route, ms } of this.slow) if (route.test(request)) await sleep(ms);
    const flaky = this.flaky.find((f) => f.times > 0 && f.route.test(request));
    if (flaky) {
      flaky.times--;
      return send(res, 500, { message: 'Server Error' });
    }
    if (this.broken.some((route) => route.test(request))) return send(res, 500, { message: 'Server Error' });
    const raw = req.method === 'GET' ? '' : await text(req);
    const sent = `${request}${url.search} ${raw}`;
    const retried = this.spreadFaults && this.faulted.delete(sent);
    const fault = retried ? undefined : this.faults.shift();
    if (this.spreadFaults && fault && fault !== 'none') this.faulted.add(sent);
    if (fault === 'drop') return void req.socket.destroy();
    if (fault === '500') return send(res, 500, { message: 'Server Error' });
    if (fault === '502') return send(res, 502, { message: 'Bad Gateway' });
    if (fault === '429') return send(res, 429, { message: 'Too Many Requests' }, { 'retry-after': '1' });
    if (fault === 'secondary-rate-limit') {
      return send(
        res,
        403,
        {
          message:
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        },
        { 'retry-after': '1' },
      );
    }
    const body = req.method === 'GET' ? {} : JSON.parse(raw || '{}');
    // A GraphQL query is broken by what it asks for: its variables name the repository.
    if (
      body.variables &&
      this.broken.some((route) => route.test(`${request} ${JSON.stringify(body.variables)}`))
    )
      return send(res, 502, { message: 'Bad Gateway' });
    if (req.method !== 'GET') this.bodies.push({ request: `${req.method} ${pathname}`, body });
    const answer = this.answers.get(`${req.method} ${pathname}`);
    if (Array.isArray(answer)) return this.page(res, url, answer);
    if (answer !== undefined) return send(res, 200, answer);
    if (req.method === 'POST' && pathname === '/graphql') return send(res, 200, this.graphql(body));
    const repo = `/repos/${this.repository}`;
    if (pathname.startsWith(`${repo}/check-runs`) || /\/commits\/[^/]+\/check-runs$/.test(pathname))
      return this.checkRun(res, req.method!, pathname.slice(repo.length), body, url);
    const status = /^\/statuses\/([0-9a-f]{40})$/.exec(pathname.slice(repo.length));
    if (req.method === 'POST' && pathname.startsWith(repo) && status) {
      if (this.statusesForbidden)
        return send(res, 403, { message: 'Resource not accessible by integration' });
      this.statuses.push({ sha: status[1]!, ...body });
      return send(res, 201, { id: this.statuses.length, ...body });
    }
    if (req.method === 'GET' && pathname === `${repo}/activity`)
      return this.page(res, url, this.activity(url.searchParams.get('ref') ?? ''));
    if (req.method === 'GET') {
      const history = this.historyRoute(res, url, pathname.slice(repo.length));
      if (pathname.startsWith(repo) && history) return;
    }
    const prefix = `/repos/${this.repository}/git/`;
    if (!pathname.startsWith(prefix)) return send(res, 404, { message: 'Not Found' });
    const route = pathname.slice(prefix.length);
    for (const [method, pattern, handler] of this.routes()) {
      const match = req.method === method ? pattern.exec(route) : null;
      if (match) {
        const [status, answer] = handler(match[1] ?? '', body);
        return send(res, status, answer);
      }
    }
    return send(res, 404, { message: 'Not Found' });
  }

  // biome-ignore lint/suspicious/noExplicitAny: request bodies are whatever the client sent
  private routes(): [string, RegExp, (arg: string, body: any) => [number, unknown]][] {
    const notFound: [number, unknown] = [404, { message: 'Not Found' }];
    const prefix = `${this.url}/repos/${this.repository}/git/`;
    return [
      [
        'GET',
        /^ref\/(heads\/.+)$/,
        (ref) => {
          const sha = this.refs.get(ref);
          return sha ? [200, { ref: `refs/${ref}`, object: { sha, type: 'commit' } }] : notFound;
        },
      ],
      [
        'POST',
        /^refs$/,
        (_, body) => {
          const ref = String(body.ref).replace(/^refs\//, '');
          if (this.refs.has(ref)) return [422, { message: 'Reference already exists' }];
          this.refs.set(ref, body.sha);
          return [201, { ref: body.ref, object: { sha: body.sha, type: 'commit' } }];
        },
      ],
      [
        'PATCH',
        /^refs\/(heads\/.+)$/,
        (ref, body) => {
          const current = this.refs.get(ref);
          if (!current) return [422, { message: 'Reference does not exist' }];
          if (!body.force && !this.descends(body.sha, current))
            return [422, { message: 'Update is not a fast forward' }];
          this.refs.set(ref, body.sha);
          return [200, { ref: `refs/${ref}`, object: { sha: body.sha, type: 'commit' } }];
        },
      ],
      [
        'POST',
        /^blobs$/,
        (_, body) => {
          const content = Buffer.from(body.content, body.encoding === 'base64' ? 'base64' : 'utf8');
          const sha = id('blob', content);
          this.blobs.set(sha, content);
          return [201, { sha, url: `${prefix}blobs/${sha}` }];
        },
      ],
      [
        'GET',
        /^blobs\/([0-9a-f]{40})$/,
        (sha) => {
          const blob = this.blobs.get(sha);
          return blob
            ? [200, { sha, size: blob.length, encoding: 'base64', content: blob.toString('base64') }]
            : notFound;
        },
      ],
      [
        'POST',
        /^trees$/,
        (_, body) => {
          const base = body.base_tree ? (this.trees.get(body.base_tree) ?? []) : [];
          // An entry with `content` instead of `sha`: GitHub writes the blob itself.
          const given = body.tree.map(({ content, ...entry }: Json) => {
            if (typeof content !== 'string') return entry;
            const bytes = Buffer.from(content);
            const sha = id('blob', bytes);
            this.blobs.set(sha, bytes);
            return { ...entry, sha };
          });
          const entries = [
            ...base.filter((e) => !given.some((n: { path: string }) => n.path === e.path)),
            ...given,
          ];
          const sha = id('tree', entries);
          this.trees.set(sha, entries);
          return [201, { sha, tree: entries }];
        },
      ],
      [
        'GET',
        /^trees\/([0-9a-f]{40})$/,
        (sha) => {
          // Like GitHub, a commit SHA stands for its tree; entries carry full paths (as with recursive=1).
          const treeSha = this.commits.get(sha)?.tree ?? sha;
          const tree = this.trees.get(treeSha)?.map((e) => ({ ...e, size: this.blobs.get(e.sha)?.length }));
          return tree ? [200, { sha: treeSha, tree, truncated: this.truncateTrees }] : notFound;
        },
      ],
      [
        'POST',
        /^commits$/,
        (_, body) => {
          const sha = id('commit', [body, this.commits.size]);
          this.commits.set(sha, { tree: body.tree, parents: body.parents ?? [], message: body.message });
          return [
            201,
            {
              sha,
              tree: { sha: body.tree },
              parents: (body.parents ?? []).map((p: string) => ({ sha: p })),
              message: body.message,
            },
          ];
        },
      ],
      [
        'GET',
        /^commits\/([0-9a-f]{40})$/,
        (sha) => {
          const commit = this.commits.get(sha);
          return commit
            ? [
                200,
                {
                  sha,
                  tree: { sha: commit.tree },
                  parents: commit.parents.map((p) => ({ sha: p })),
                  message: commit.message,
                },
              ]
            : notFound;
        },
      ],
    ];
  }

  /** A list answered as GitHub pages it: `per_page` items (at most 100), a Link header to the next page. */
  private page(res: ServerResponse, url: URL, items: unknown[]): void {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const at = (n: number) => {
      const next = new URL(url);
      next.searchParams.set('page', String(n));
      return next.href;
    };
    const headers: Record<string, string> =
      page < last ? { link: `<${at(page + 1)}>; rel="next", <${at(last)}>; rel="last"` } : {};
    send(res, 200, items.slice((page - 1) * perPage, page * perPage), headers);
  }

  /** Check runs as GitHub keeps them: made, completed, and listed per commit (by name). */
  private checkRun(res: ServerResponse, method: string, route: string, body: Json, url: URL): void {
    const listed = /^\/commits\/([^/]+)\/check-runs$/.exec(route);
    if (method === 'GET' && listed) {
      const runs = [...this.checkRuns.entries()]
        .filter(([, run]) => run.head_sha === listed[1])
        .filter(([, run]) => !url.searchParams.get('status') || run.status === url.searchParams.get('status'))
        .reverse() // newest first, as GitHub lists them
        .map(([id, run]) => ({ id, name: 'aims-gate', ...run }));
      send(res, 200, { total_count: runs.length, check_runs: runs });
      return;
    }
    if (method === 'POST' && route === '/check-runs') {
      const id = this.checkRuns.size + 1;
      // As GitHub does: a conclusion given at creation makes the run completed.
      this.checkRuns.set(id, {
        head_sha: body.head_sha,
        status: body.conclusion ? 'completed' : (body.status ?? 'queued'),
        started_at: body.started_at ?? null,
        ...(body.conclusion ? { conclusion: body.conclusion } : {}),
        ...(body.output ? { output: body.output } : {}),
      });
      send(res, 201, { id, head_sha: body.head_sha });
      return;
    }
    const run = /^\/check-runs\/(\d+)$/.exec(route);
    const kept = run && this.checkRuns.get(Number(run[1]));
    if (method === 'PATCH' && kept) {
      Object.assign(
        kept,
        body.status ? { status: body.status } : {},
        body.conclusion ? { conclusion: body.conclusion } : {},
      );
      if (body.output) kept.output = body.output;
      send(res, 200, { id: Number(run![1]) });
      return;
    }
    send(res, 404, { message: 'Not Found' });
  }

  /** GET routes over the commit graph: compare, commit listings, matching refs, pull request files, branches. */
  private historyRoute(res: ServerResponse, url: URL, route: string): boolean {
    let match = /^\/compare\/(.+)\.\.\.(.+)$/.exec(route);
    if (match) {
      const [base, head] = [this.resolve(match[1]!), this.resolve(match[2]!)];
      if (!base || !head) {
        send(res, 404, { message: 'Not Found' });
        return true;
      }
      const ahead = this.ancestors(head).filter((sha) => !this.ancestors(base).includes(sha));
      const behind = this.ancestors(base).filter((sha) => !this.ancestors(head).includes(sha));
      const status =
        base === head
          ? 'identical'
          : behind.length === 0
            ? 'ahead'
            : ahead.length === 0
              ? 'behind'
              : 'diverged';
      const perPage = Number(url.searchParams.get('per_page') ?? 250);
      const page = Number(url.searchParams.get('page') ?? 1);
      const commits = ahead.reverse().slice((page - 1) * perPage, page * perPage);
      send(res, 200, {
        status,
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        commits: commits.map((sha) => this.commitJson(sha)),
        // The three-dot diff: from where the two meet to the head.
        files: this.changedPaths(
          this.ancestors(base).find((sha) => this.ancestors(head).includes(sha)),
          head,
        ).map((filename) => ({ filename, status: 'modified' })),
      });
      return true;
    }
    if (route === '/commits' && url.searchParams.get('sha')) {
      const head = this.resolve(url.searchParams.get('sha')!);
      const path = url.searchParams.get('path');
      // With a path, as git log does by default: a commit that changed it from its parent (a merge: from each).
      const all = (head ? this.ancestors(head) : []).filter((sha) => {
        if (!path) return true;
        const { parents } = this.commits.get(sha)!;
        return parents.length === 0
          ? this.changedPaths(undefined, sha).includes(path)
          : parents.every((parent) => this.changedPaths(parent, sha).includes(path));
      });
      this.page(
        res,
        url,
        all.map((sha) => this.commitJson(sha)),
      );
      return true;
    }
    match = /^\/git\/matching-refs\/(heads\/.*)$/.exec(route);
    if (match) {
      const refs = [...this.refs].filter(([ref]) => ref.startsWith(match![1]!));
      this.page(
        res,
        url,
        refs.map(([ref, sha]) => ({ ref: `refs/${ref}`, object: { sha, type: 'commit' } })),
      );
      return true;
    }
    match = /^\/pulls\/(\d+)\/(files|reviews|commits)$/.exec(route);
    const pull = match && this.pulls.get(Number(match[1]));
    if (pull && !this.answers.has(`GET /repos/${this.repository}${route}`)) {
      const items =
        match![2] === 'files'
          ? pull.files.map((filename) => ({ filename, status: 'modified' }))
          : match![2] === 'reviews'
            ? pull.reviews
            : pull.commits.slice(0, 250).map((sha) => this.commitJson(sha));
      this.page(res, url, items);
      return true;
    }
    if (route === '' && !this.answers.has(`GET /repos/${this.repository}`)) {
      send(res, 200, {
        full_name: this.repository,
        html_url: `https://github.com/${this.repository}`,
        default_branch: this.defaultBranch,
      });
      return true;
    }
    match = /^\/branches\/(.+)$/.exec(route);
    if (match) {
      if (!this.refs.has(`heads/${match[1]}`)) {
        send(res, 404, { message: 'Branch not found' });
        return true;
      }
      send(res, 200, { name: match[1], protected: this.protectedBranches.has(match[1]!) });
      return true;
    }
    return false;
  }

  /** The paths whose blobs differ between two commits (`from` absent: every path of `to`). */
  private changedPaths(from: string | undefined, to: string): string[] {
    const blobs = (sha: string | undefined) =>
      new Map(sha ? this.trees.get(this.commits.get(sha)!.tree)!.map((e) => [e.path, e.sha]) : []);
    const [before, after] = [blobs(from), blobs(to)];
    return [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p));
  }

  /** A branch name or a commit SHA, as GitHub resolves either in a compare. */
  private resolve(name: string): string | undefined {
    // As git does, 40 hex digits name a commit before they could name a branch.
    if (/^[0-9a-f]{40}$/.test(name)) return this.commits.has(name) ? name : undefined;
    return this.refs.get(`heads/${name}`);
  }

  /** Every commit reachable from `sha` (all parents), newest first, as `git rev-list` lists them. */
  ancestors(sha: string): string[] {
    const seen: string[] = [];
    const visit = (at: string) => {
      if (seen.includes(at) || !this.commits.has(at)) return;
      for (const parent of this.commits.get(at)!.parents) visit(parent);
      seen.push(at);
    };
    visit(sha);
    return seen.reverse();
  }

  private commitJson(sha: string) {
    const commit = this.commits.get(sha)!;
    return {
      sha,
      commit: { message: commit.message },
      parents: commit.parents.map((p) => ({ sha: p })),
    };
  }

  /** The pull requests GitHub associates with a commit: on the default branch, the merged one that brought it; elsewhere every one that contains it. */
  associated(sha: string): FakePull[] {
    const containing = [...this.pulls.values()].filter(
      (p) => p.mergeCommit === sha || p.commits.includes(sha) || p.rebased?.includes(sha),
    );
    const main = this.refs.get(`heads/${this.defaultBranch}`);
    if (main && this.ancestors(main).includes(sha)) {
      const first = containing
        .filter((p) => p.state === 'merged')
        .sort((a, b) => (a.mergedOrder ?? 0) - (b.mergedOrder ?? 0))[0];
      return first ? [first] : [];
    }
    return containing;
  }

  private pullNode(pull: FakePull) {
    return {
      number: pull.number,
      state: pull.state.toUpperCase(),
      baseRefName: pull.base,
      baseRefOid: pull.baseSha,
      headRefOid: pull.head,
      mergeCommit: pull.mergeCommit ? { oid: pull.mergeCommit } : null,
      author: { login: pull.author },
      baseRepository: { nameWithOwner: pull.repository ?? this.repository },
      reviews: {
        totalCount: pull.reviews.length,
        // As GitHub answers reviews(first: 100).
        nodes: pull.reviews.slice(0, 100).map((r) => this.reviewNode(r)),
      },
      commits: {
        totalCount: pull.commits.length,
        nodes: pull.commits.slice(0, 100).map((oid) => ({ commit: { oid } })),
      },
    };
  }

  // biome-ignore lint/suspicious/noExplicitAny: a review in the REST shape the tests write
  private reviewNode(r: any) {
    return {
      databaseId: r.id,
      state: r.state,
      submittedAt: r.submitted_at,
      authorCanPushToRepository: r.user ? !this.readOnly.has(r.user.login) : false,
      author: r.user ? { __typename: r.user.type === 'Bot' ? 'Bot' : 'User', login: r.user.login } : null,
      commit: r.commit_id ? { oid: r.commit_id } : null,
    };
  }

  /** A pull request commit as GraphQL's PullRequestCommit gives it: authors (co-authors too) and committer. */
  private commitNode(pull: FakePull, oid: string) {
    const people = pull.people?.[oid] ?? {};
    const authors = people.authors ?? [pull.author];
    const committer = people.committer === undefined ? pull.author : people.committer;
    return {
      commit: {
        oid,
        // As GitHub answers authors(first: 10): a co-author with no GitHub account has no user.
        authors: {
          totalCount: authors.length,
          nodes: authors.slice(0, 10).map((login) => ({ user: login ? { login } : null })),
        },
        committer: { user: committer ? { login: committer } : null },
      },
    };
  }

  /**
   * GitHub's answer to pullRequest(number: …) queries: aims-gate's push facts (aliases p0, p1, …: commits with
   * their people, the last force push, and with `states: [APPROVED]` the approvers), and a connection read
   * page by page (alias `page`, cursors are offsets).
   */
  private pullRequestQuery(query: string, variables: Record<string, unknown>): unknown {
    const repository: Record<string, unknown> = {};
    const paged = /page: (\w+)\(first: 100, after: \$after(?:, states: \[APPROVED\])?\)/.exec(query);
    if (paged) {
      const pull = this.pulls.get(Number(variables.number));
      if (!pull) return { data: { repository: { pullRequest: null } } };
      const all =
        paged[1] === 'commits'
          ? pull.commits.map((oid) => this.commitNode(pull, oid))
          : pull.reviews
              .filter((r) => !paged[0]!.includes('APPROVED') || r.state === 'APPROVED')
              .map((r) => this.reviewNode(r));
      const start = variables.after ? Number(variables.after) : 0;
      const nodes = all.slice(start, start + 100);
      const end = start + nodes.length;
      return {
        data: {
          repository: {
            pullRequest: {
              page: { pageInfo: { hasNextPage: end < all.length, endCursor: String(end) }, nodes },
            },
          },
        },
      };
    }
    for (const [, alias, variable] of query.matchAll(/(p\d+): pullRequest\(number: \$(p\d+)\)/g)) {
      const pull = this.pulls.get(Number(variables[variable!]));
      if (!pull) {
        repository[alias!] = null;
        continue;
      }
      const approved = pull.reviews.filter((r) => r.state === 'APPROVED');
      repository[alias!] = {
        number: pull.number,
        headRefOid: pull.head,
        headRefName: pull.headRefName ?? `pr-${pull.number}`,
        headRepository: { nameWithOwner: this.repository },
        commits: {
          totalCount: pull.commits.length,
          nodes: pull.commits.slice(0, 100).map((oid) => this.commitNode(pull, oid)),
        },
        timelineItems: {
          nodes: pull.forcePush
            ? [{ actor: { login: pull.forcePush.by }, afterCommit: { oid: pull.forcePush.to } }]
            : [],
        },
        ...(query.includes('reviews(first: 100, states: [APPROVED])')
          ? {
              reviews: {
                totalCount: approved.length,
                nodes: approved.slice(0, 100).map((r) => {
                  const { authorCanPushToRepository, author } = this.reviewNode(r);
                  return { authorCanPushToRepository, author: author && { login: author.login } };
                }),
              },
            }
          : {}),
      };
    }
    return { data: { repository } };
  }

  /**
   * The repository's activity on a branch, newest first, as GET /repos/{owner}/{repo}/activity lists it: the
   * pushes of pull requests' head branches (`refs/heads/pr-N` unless named), by whoever GitHub authenticated.
   */
  private activity(ref: string): unknown[] {
    const branch = ref.replace(/^refs\/heads\//, '');
    const pushes = [...this.pulls.values()]
      .filter((pull) => (pull.headRefName ?? `pr-${pull.number}`) === branch)
      .flatMap((pull) => {
        const force = pull.forcePush && {
          after: pull.forcePush.to,
          activity_type: 'force_push',
          actor: pull.forcePush.by,
        };
        // A force push that left the branch at the head was its last push; otherwise an ordinary push followed.
        if (force && force.after === pull.head) return [force];
        const push = { after: pull.head, activity_type: 'push', actor: pull.pushedBy ?? pull.author };
        return [...(pull.pushedBy === null ? [] : [push]), ...(force ? [force] : [])];
      });
    return pushes.map((push, i) => ({
      id: i + 1,
      node_id: `RA_${i + 1}`,
      before: '0'.repeat(40),
      after: push.after,
      ref: `refs/heads/${branch}`,
      timestamp: '2026-11-20T09:00:00Z',
      activity_type: push.activity_type,
      actor: { login: push.actor, type: 'User' },
    }));
  }

  private graphql({ query, variables }: { query: string; variables: Record<string, string> }): unknown {
    if (query.includes('defaultBranchRef')) {
      const head = this.refs.get(`heads/${this.defaultBranch}`);
      const environments = (variables as unknown as { environments?: string[] }).environments;
      return {
        data: {
          repository: {
            defaultBranchRef: head ? { name: this.defaultBranch, target: { oid: head } } : null,
            deployments: {
              nodes: this.deployments
                .filter((d) => !environments || environments.includes(d.environment))
                .map((d) => ({
                  commitOid: d.commit,
                  environment: d.environment,
                  state: d.state,
                  creator: { __typename: d.creator ?? 'Bot' },
                })),
            },
          },
        },
      };
    }
    if (query.includes('associatedPullRequests')) {
      const repository: Record<string, unknown> = {};
      for (const [name, sha] of Object.entries(variables)) {
        if (!/^c\d+$/.test(name)) continue;
        repository[name] = this.commits.has(sha)
          ? {
              associatedPullRequests: {
                totalCount: this.associated(sha).length,
                nodes: this.associated(sha)
                  .slice(0, 25)
                  .map((p) => this.pullNode(p)),
              },
            }
          : null;
      }
      return { data: { repository } };
    }
    if (/pullRequest\(number: \$/.test(query)) return this.pullRequestQuery(query, variables);
    if (variables.repo === '.github') {
      // The organisation's .github repository, where the App reads its defaults.
      return blobQueryAnswer(query, variables, (_commit, path) => {
        const text = this.organisation.get(path);
        return text === undefined
          ? undefined
          : { oid: id('blob', Buffer.from(text)), bytes: Buffer.from(text) };
      });
    }
    return blobQueryAnswer(query, variables, (revision, path) => {
      // A commit, or a branch as refs/heads/NAME (the audit log read at its branch's head).
      const commit = this.resolve(revision.replace(/^refs\/heads\//, '')) ?? revision;
      const entries = this.trees.get(this.commits.get(commit)?.tree ?? '') ?? [];
      const entry = entries.find((e) => e.path === path);
      if (entry) return { oid: entry.sha, bytes: this.blobs.get(entry.sha)! };
      return entries.some((e) => e.path.startsWith(`${path}/`)) ? 'folder' : undefined;
    });
  }

  private descends(sha: string, ancestor: string): boolean {
    for (let at: string | undefined = sha; at; at = this.commits.get(at)?.parents[0])
      if (at === ancestor) return true;
    return false;
  }
}

/** A pull request in the fake: where it goes, its head, how it ended, its reviews (REST shape) and commits. */
export interface FakePull {
  number: number;
  state: 'open' | 'closed' | 'merged';
  /** The base branch's name, and its commit when the pull request was opened. */
  base: string;
  baseSha: string;
  head: string;
  mergeCommit?: string;
  /** Merge order, for GitHub's "the merged pull request that brought the commit". */
  mergedOrder?: number;
  author: string;
  // biome-ignore lint/suspicious/noExplicitAny: reviews in the REST shape the tests write
  reviews: any[];
  /** Its own commits (the head branch's, after the base). */
  commits: string[];
  /** The commits a rebase merge wrote onto the base branch. */
  rebased?: string[];
  /** Changed paths, both sides of a rename. */
  files: string[];
  /** The repository it was merged into, where a fork's (GitHub associates those too). */
  repository?: string;
  /**
   * Who wrote and committed each of its commits, as GitHub matched them to accounts (null: an address no
   * account has); by default the pull request's author did both.
   */
  people?: Record<string, { authors?: (string | null)[]; committer?: string | null }>;
  /** The last force push to its head branch, if any: who, and the commit it left the branch at. */
  forcePush?: { by: string; to: string };
  /** Its head branch's name (`pr-N` by default). */
  headRefName?: string;
  /**
   * Who pushed its final head, as GitHub's repository activity records it (by default its author; null: the
   * activity records no push of the head).
   */
  pushedBy?: string | null;
}

function id(kind: string, content: unknown): string {
  return createHash('sha1')
    .update(kind)
    .update(Buffer.isBuffer(content) ? content : JSON.stringify(content))
    .digest('hex');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * GitHub's answer to aims-gate's blob query, repository { fN: object(expression: $eN) { ... on Blob { … } } },
 * for files found by `lookup(commit, path)`: a folder is a Tree (empty under the Blob fragment), a missing
 * path is null, and the text of a large blob is cut (here at 512 KiB) and flagged, as GitHub does.
 */
export function blobQueryAnswer(
  query: string,
  variables: Record<string, string>,
  lookup: (commit: string, path: string) => { oid: string; bytes: Buffer } | 'folder' | undefined,
): unknown {
  const repository: Record<string, unknown> = {};
  for (const [, alias, variable] of query.matchAll(/(f\d+): object\(expression: \$(e\d+)\)/g)) {
    const [commit, ...rest] = variables[variable!]!.split(':');
    const found = lookup(commit!, rest.join(':'));
    if (found === 'folder') repository[alias!] = {};
    else if (!found) repository[alias!] = null;
    else {
      const binary = found.bytes.includes(0);
      repository[alias!] = {
        oid: found.oid,
        byteSize: found.bytes.length,
        isBinary: binary,
        isTruncated: found.bytes.length > 512 * 1024,
        text: binary ? null : found.bytes.subarray(0, 512 * 1024).toString('utf8'),
      };
    }
  }
  return { data: { repository } };
}
