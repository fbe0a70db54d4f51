// The Action's GitHub API requests: one pull-request check, one deployment decision.
import { bundled, json } from './lib.js';

export const title = 'GitHub Action: API requests (fake GitHub on 127.0.0.1)';

export async function run() {
  const prCheck = json([await bundled('action')]);
  console.log(
    `  pr-check of a PR changing ${prCheck.files} files across ${prCheck.systems} systems, 5 reviews: ${prCheck.requests} API requests (aim: at most 8), ${prCheck.ms.toFixed(0)} ms`,
  );
  for (const [route, n] of Object.entries(prCheck.byRoute))
    console.log(`    ${String(n).padStart(2)} × ${route}`);
  const deploy = json([await bundled('deploy-gate')]);
  // Before signed history and judged config (commit 410d37d), the same decision made 39 requests on the same
  // inputs (the organisation's config included): it started from GitHub's deployments, which anyone can
  // create, and did not read a log or the default branch's config history.
  console.log(
    `  deploy decision for a deployment shipping ${deploy.pullRequests} merged PRs touching ${deploy.systems} systems: ${deploy.decision.requests} API requests (aim: a constant plus at most one per PR; 39 for the same inputs before the signed log and the judged config, goal at most 10% more), ${deploy.decision.ms.toFixed(0)} ms`,
  );
  for (const [route, n] of Object.entries(deploy.decision.byRoute))
    console.log(`    ${String(n).padStart(2)} × ${route}`);
  console.log(
    `  the Action's whole deploy-gate run (decision, then its ${deploy.systems + 1} signed entries written to the log branch): ${deploy.action.requests} API requests, ${deploy.action.writes} of them writes, ${deploy.action.ms.toFixed(0)} ms`,
  );
}
