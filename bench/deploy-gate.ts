// The Action's deploy-gate as a runner runs it (dist/index.js) against the fake GitHub on 127.0.0.1: a
// deployment that ships 20 merged pull requests touching 10 AI systems since the last deployment. Prints one
// JSON line: the API requests it made, by route, and the wall time. Bundled and run by bench/run.js.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeGitHub } from '../test/fake-github.js';
import { conformantRepo } from '../test/helpers.js';
import { GATE_CONFIG, RepositoryHistory } from '../test/repository-history.js';
import { runAction } from '../test/run-action.js';

const SYSTEMS = 10;
const PULL_REQUESTS = 20;

const github = await new FakeGitHub('acme/ml-platform').start();
const files: Record<string, string> = { '.github/aims-gate.yml': GATE_CONFIG };
for (let i = 0; i < SYSTEMS; i++) {
  for (const [path, text] of Object.entries(conformantRepo())) {
    if (path.startsWith('models/'))
      files[path.replace('credit-scoring', `system-${i}`)] = text.replaceAll('credit-scoring', `system-${i}`);
  }
}
const history = new RepositoryHistory(github, files);
history.deployed(history.head());
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

const dir = mkdtempSync(join(tmpdir(), 'aims-bench-'));
const event = {
  repository: { full_name: 'acme/ml-platform', name: 'ml-platform', owner: { login: 'acme' } },
};
const { code, stdout, ms } = await runAction({
  api: github.url,
  dir,
  event,
  inputs: {
    mode: 'deploy-gate',
    token: 'ghs_bench',
    environment: 'production',
    commit: history.head(),
    today: '2026-11-01',
  },
});
await github.stop();
rmSync(dir, { recursive: true, force: true });
if (code !== 0) throw new Error(`deploy-gate exited ${code}:\n${stdout}`);
const byRoute: Record<string, number> = {};
for (const r of github.requests) {
  const route = r.replace(/[0-9a-f]{40}/g, ':sha').replace(/\/pulls\/\d+\//, '/pulls/:n/');
  byRoute[route] = (byRoute[route] ?? 0) + 1;
}
console.log(
  JSON.stringify({
    ms,
    requests: github.requests.length,
    byRoute,
    pullRequests: PULL_REQUESTS,
    systems: SYSTEMS,
  }),
);
