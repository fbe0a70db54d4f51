// The deployment gate against the fake GitHub on 127.0.0.1: a deployment that ships 20 merged pull requests
// touching 10 AI systems since the last approved deployment, which the gate's signed log records. Measures the
// decision alone (the library's gateDeployment: every request it makes to decide, the signed log read included)
// and the Action's whole run as a runner runs it (dist/index.js: the decision, then its signed entries written
// to the log branch). Prints one JSON line. Bundled and run by bench/run.js.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BranchStore } from '../src/github/branch-store.js';
import { gateDeployment } from '../src/github/evaluate.js';
import { createGitHub } from '../src/github/octokit.js';
import { FakeGitHub } from '../test/fake-github.js';
import { conformantRepo } from '../test/helpers.js';
import { approvedInLog, GATE_CONFIG, RepositoryHistory, TEST_GATE_KEY } from '../test/repository-history.js';
import { runAction } from '../test/run-action.js';

const SYSTEMS = 10;
const PULL_REQUESTS = 20;
const REPOSITORY = { owner: 'acme', repo: 'ml-platform' };

const github = await new FakeGitHub('acme/ml-platform').start();
const config = GATE_CONFIG.replace('audit-log: none', 'audit-log: branch:aims-audit-log');
const files: Record<string, string> = { '.github/aims-gate.yml': config };
for (let i = 0; i < SYSTEMS; i++) {
  for (const [path, text] of Object.entries(conformantRepo())) {
    if (path.startsWith('models/'))
      files[path.replace('credit-scoring', `system-${i}`)] = text.replaceAll('credit-scoring', `system-${i}`);
  }
}
const client = createGitHub({ token: 't', baseUrl: github.url, retries: 0, throttle: { enabled: false } });
const log = () => new BranchStore(client, { ...REPOSITORY, branch: 'aims-audit-log' });
const history = new RepositoryHistory(github, files);
history.deployed(history.head());
await approvedInLog(log(), 'acme/ml-platform', history.head(), 'production', history.head());
for (let n = 1; n <= PULL_REQUESTS; n++) {
  const system = `models/system-${n % SYSTEMS}`;
  history.pullRequest({
    number: n,
    change: (f) => ({ ...f, [`${system}/train.py`]: `# run ${n}\n` }),
    method: (['merge', 'squash', 'rebase'] as const)[n % 3],
    approvers: ['alice', 'gov-lead'],
  });
}
github.answer('GET', '/orgs/acme/teams/ai-governance/members', [{ login: 'gov-lead', id: 100 }]);

const byRoute = (requests: string[]) => {
  const routes: Record<string, number> = {};
  for (const r of requests) {
    const route = r.replace(/[0-9a-f]{40}/g, ':sha').replace(/\/pulls\/\d+\//, '/pulls/:n/');
    routes[route] = (routes[route] ?? 0) + 1;
  }
  return routes;
};

github.requests.length = 0;
const started = performance.now();
const decision = await gateDeployment(
  client,
  REPOSITORY,
  { commit: history.head(), environment: 'production' },
  { today: '2026-11-01', history: log },
);
const decisionMs = performance.now() - started;
if (!decision.approved) throw new Error(`the gate rejected: ${decision.reason}`);
const decided = [...github.requests];

github.requests.length = 0;
const dir = mkdtempSync(join(tmpdir(), 'aims-bench-'));
const event = {
  repository: { full_name: 'acme/ml-platform', name: 'ml-platform', owner: { login: 'acme' } },
};
const { code, stdout, ms } = await runAction({
  api: github.url,
  dir,
  event,
  env: { GITHUB_ACTOR: 'release-manager', GITHUB_RUN_ID: '1' },
  inputs: {
    mode: 'deploy-gate',
    token: 'ghs_bench',
    environment: 'production',
    commit: history.head(),
    today: '2026-11-01',
    'signing-key': TEST_GATE_KEY,
  },
});
await github.stop();
rmSync(dir, { recursive: true, force: true });
if (code !== 0) throw new Error(`deploy-gate exited ${code}:\n${stdout}`);
const run = [...github.requests];
console.log(
  JSON.stringify({
    decision: { requests: decided.length, ms: decisionMs, byRoute: byRoute(decided) },
    action: {
      requests: run.length,
      writes: run.filter((r) => !r.startsWith('GET ') && r !== 'POST /graphql').length,
      ms,
    },
    pullRequests: PULL_REQUESTS,
    systems: SYSTEMS,
  }),
);
