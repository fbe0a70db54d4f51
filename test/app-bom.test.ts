import { afterEach, beforeEach, expect, it } from 'vitest';
import { aimsGateApp } from '../app/index.js';
import { sha256 } from '../src/audit/entry.js';
import { appGitHub, opened, openPullRequest, PR } from './app-github.js';
import type { FakeGitHub } from './fake-github.js';
import { conformantRepo } from './helpers.js';
import { postWebhook, startAppServer } from './probot.js';
import { TEST_GATE } from './repository-history.js';

// The App behind its real HTTP server, GitHub faked on 127.0.0.1 with a log branch: what a pull request's
// check leaves for a release manager besides its verdict.
const SECRET = 'bom';
const CONFIG = 'systems: [models/*]\naudit-log: branch:aims-audit-log\n';
const files = { ...conformantRepo(), '.github/aims-gate.yml': CONFIG };

let fake: FakeGitHub;
let stop: (() => Promise<void>) | undefined;
beforeEach(async () => {
  fake = await appGitHub(files);
  openPullRequest(fake, 2, files, PR.head.sha);
});
afterEach(async () => {
  await stop?.();
  await fake.stop();
});

it('a pull request’s check keeps the head’s BOM beside its signed entries, names it by digest, links it in the summary, and signs no attestation', async () => {
  const gate = aimsGateApp({ today: () => '2026-11-01', signer: TEST_GATE });
  const started = await startAppServer(gate, SECRET, fake.url);
  stop = started.stop;
  expect((await postWebhook(started.url, 'pull_request', 'd-1', JSON.stringify(opened), SECRET)).status).toBe(
    200,
  );
  await gate.queue.idle();

  const entries = fake
    .file('aims-audit-log', 'audit-log.jsonl')!
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(entries.map((e) => e.type)).toEqual(['evaluated']);
  const digest: string = entries[0].details.bom;
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(entries[0].sig).toBeDefined();
  const path = `attestations/${digest.slice('sha256:'.length)}.cdx.json`;
  const bom = JSON.parse(fake.file('aims-audit-log', path)!);
  expect(`sha256:${sha256(fake.file('aims-audit-log', path)!)}`).toBe(digest);
  expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
  expect(bom.metadata.component.version).toBe(PR.head.sha);
  expect(bom.components.find((c: { type: string }) => c.type === 'machine-learning-model')).toMatchObject({
    name: 'credit-scoring',
  });

  const [run] = [...fake.checkRuns.values()].filter((r) => r.head_sha === PR.head.sha);
  expect(run).toMatchObject({ status: 'completed', conclusion: 'success' });
  const url = `https://github.com/${opened.repository.full_name}/blob/aims-audit-log/${path}`;
  expect(run!.output.summary).toContain('### Bill of materials');
  expect(run!.output.summary).toContain(`\`${digest}\``);
  expect(run!.output.summary).toContain(`(${url})`);
  // A pull request's check approves nothing for deployment: no signed statement, no attestation status.
  expect(fake.statuses.map((s) => s.context)).toEqual(['aims-gate/audit-checkpoint']);
});
