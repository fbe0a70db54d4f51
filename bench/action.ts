// The Action's pr-check as a runner runs it (dist/index.js, a child process) against the fake GitHub API on
// 127.0.0.1: a pull request changing 300 files across 50 AI systems, with 5 reviews. Prints one JSON line:
// the API requests it made, by route, and the wall time. Bundled and run by bench/run.js.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeGitHub } from '../test/fake-github.js';
import { conformantRepo } from '../test/helpers.js';
import { runAction } from '../test/run-action.js';

const SYSTEMS = 50;
const FILES_PER_SYSTEM = 6;
const CONFIG = `systems: [models/*]
audit-log: none
approvals:
  - tiers: [high, prohibited]
    require: [{ count: 2 }, { count: 1, teams: [acme/ai-governance] }]
`;
const base = 'b'.repeat(40);
const head = 'c'.repeat(40);

const github = await new FakeGitHub('acme/ml-platform').start();
const repo: Record<string, string> = { '.github/aims-gate.yml': CONFIG };
const changed: string[] = [];
for (let i = 0; i < SYSTEMS; i++) {
  for (const [path, text] of Object.entries(conformantRepo())) {
    if (path.startsWith('models/'))
      repo[path.replace('credit-scoring', `system-${i}`)] = text.replaceAll('credit-scoring', `system-${i}`);
  }
  for (let f = 0; f < FILES_PER_SYSTEM; f++) changed.push(`models/system-${i}/src/module_${f}.py`);
}
github.seed(repo, base);
github.seed({ ...repo, ...Object.fromEntries(changed.map((p) => [p, '# changed\n'])) }, head);
// The pull request as GitHub serves it: files and reviews through REST, what it knows of the approvers and
// the commits through GraphQL.
github.pulls.set(7, {
  number: 7,
  state: 'open',
  base: 'main',
  baseSha: base,
  head,
  author: 'ml-engineer',
  reviews: ['gov-lead', 'alice', 'bob', 'carol', 'dave'].map((login, i) => ({
    id: i + 1,
    user: { login, id: i + 100, type: 'User' },
    state: i === 4 ? 'COMMENTED' : 'APPROVED',
    commit_id: head,
    submitted_at: `2026-11-20T10:0${i}:00Z`,
  })),
  commits: [head],
  files: changed,
});
github.answer('GET', '/orgs/acme/teams/ai-governance/members', [{ login: 'gov-lead', id: 100 }]);

const dir = mkdtempSync(join(tmpdir(), 'aims-bench-'));
const event = {
  action: 'synchronize',
  number: 7,
  pull_request: {
    number: 7,
    user: { login: 'ml-engineer' },
    base: { sha: base, ref: 'main' },
    head: { sha: head, ref: 'retrain' },
  },
  repository: { full_name: 'acme/ml-platform', name: 'ml-platform', owner: { login: 'acme' } },
};
const { code, stdout, ms } = await runAction({
  api: github.url,
  dir,
  event,
  inputs: { mode: 'pr-check', token: 'ghs_bench', today: '2026-11-01' },
});
await github.stop();
rmSync(dir, { recursive: true, force: true });
if (code !== 0) throw new Error(`pr-check exited ${code}:\n${stdout}`);
const byRoute: Record<string, number> = {};
for (const r of github.requests) {
  const route = r.replace(/[0-9a-f]{40}/g, ':sha');
  byRoute[route] = (byRoute[route] ?? 0) + 1;
}
console.log(
  JSON.stringify({ ms, requests: github.requests.length, byRoute, systems: SYSTEMS, files: changed.length }),
);
