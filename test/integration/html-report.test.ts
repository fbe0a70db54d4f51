import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/audit/file-store.js';
import { record } from '../../src/audit/store.js';
import { EXAMPLE, exampleGateSigner } from '../helpers.js';

// Debian's chromium: .ci/run installs it. The test fails (not skips) without it: the report must be seen working.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'aims-gate.js');
const dir = mkdtempSync(join(tmpdir(), 'aims-html-'));
let browser: Browser;

function htmlReport(repo: string, name: string): { code: number | null; file: string } {
  const file = join(dir, name);
  const result = spawnSync(
    process.execPath,
    [BIN, 'report', repo, '--format', 'html', '--output', file, '--today', '2026-11-01'],
    { encoding: 'utf8' },
  );
  return { code: result.status, file };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(file: string) {
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href);
  return { page, requests };
}

describe('the HTML report in a real Chromium', () => {
  it('opens offline, makes no request, and shows the right counts', async () => {
    const { code, file } = htmlReport(EXAMPLE, 'report.html');
    expect(code).toBe(0);
    const { page, requests } = await open(file);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(await page.getAttribute('#verification', 'data-verified')).toBe('true');
    expect(await page.textContent('#verification strong')).toBe('✔ Audit log intact');
    expect(await page.textContent('#count-systems .value')).toBe('3');
    expect(await page.textContent('#count-events .value')).toBe('36');
    expect(await page.textContent('#count-major .value')).toBe('4');
    expect(await page.locator('#soa tbody tr').count()).toBe(38);
    expect(await page.locator('#soa tr[data-applicable="not declared"]').count()).toBe(0);
    expect(await page.locator('#soa tr[data-applicable="no"]').count()).toBe(1);
    expect(await page.locator('#soa tr[data-automatic="true"]').count()).toBe(30);
    expect(await page.textContent('#count-evidenced .value')).toBe('30');
    expect(await page.textContent('#count-flagged .value')).toBe('12');
    expect(await page.textContent('#soa-summary')).toContain(
      '38 controls: 37 declared applicable (30 of them evidenced',
    );
    expect(await page.textContent('#soa-document')).toContain(
      'governance/statement-of-applicability.yml, version 2.1, Acme Lending Ltd',
    );
    expect(await page.locator('#soa tr[data-control="A.5.3"] li.flag').textContent()).toBe(
      'Declared implemented, yet 1 open finding cites it and 1 open nonconformity (NC-19).',
    );
    expect(await page.textContent('#event-count')).toBe('36 of 36 events');
    await page.close();
  });

  it('shows each control under its objective, with its documents, digests and log entries', async () => {
    const { page } = await open(join(dir, 'report.html'));
    const deployment = page.locator('#soa tr[data-control="A.6.2.5"]');
    expect(await deployment.locator('.objective').textContent()).toBe('A.6.2 AI system life cycle');
    expect(await deployment.locator('li.entry').allTextContents()).toEqual([
      'log #8 approval given, credit-scoring',
      'log #9 approval given, credit-scoring',
      'log #10 deployment approved, credit-scoring',
      'log #15 deployment rejected, churn-predictor',
    ]);
    const oversight = page.locator('#soa tr[data-control="A.9.2"]');
    expect(await oversight.locator('li.document code').allTextContents()).toEqual([
      'models/churn-predictor/impact-assessment.yml',
      'models/credit-scoring/impact-assessment.yml',
    ]);
    expect(await oversight.locator('li.document .digest').first().getAttribute('title')).toMatch(
      /^SHA-256 [0-9a-f]{64}$/,
    );
    const quality = page.locator('#soa tr[data-control="A.7.4"]');
    expect(await quality.locator('td').nth(3).textContent()).toBe(
      'Checked by card.data-quality (where tier is high or prohibited) on 1 of 3 AI systems: credit-scoring.',
    );
    expect(await quality.locator('li.document code').textContent()).toBe(
      'models/credit-scoring/MODEL_CARD.md',
    );
    const missing = page.locator('#soa tr[data-control="A.8.5"] .missing');
    expect(await missing.isVisible()).toBe(true);
    expect(await missing.textContent()).toContain('Missing:');
    expect(await page.locator('#soa tr[data-control="A.6.2.7"] li.more').textContent()).toBe(
      'and 3 more documents',
    );
    await page.close();
  });

  it('filters the timeline by system and by event type', async () => {
    const { page } = await open(join(dir, 'report.html'));
    await page.selectOption('#filter-system', 'credit-scoring');
    expect(await page.textContent('#event-count')).toBe('22 of 36 events');
    expect(await page.locator('.system-timeline:visible').count()).toBe(1);
    expect(await page.locator('#inventory tbody tr:visible').count()).toBe(1);
    await page.selectOption('#filter-type', 'approval.given');
    expect(await page.textContent('#event-count')).toBe('2 of 36 events');
    // The gate took the approvers from GitHub (the reviews' authors) and signed what it wrote: its key is the
    // one the example's config lists, so the names stand without "unverified".
    expect(await page.locator('#timeline tr.event:visible td:nth-child(5)').allTextContents()).toEqual([
      expect.stringMatching(
        /^dana-w, signed by the gate key production deploy gate \(EXAMPLE ONLY\) \(SHA256:/,
      ),
      expect.stringMatching(/^gov-lead, signed by the gate key/),
    ]);
    await page.selectOption('#filter-system', '');
    await page.selectOption('#filter-type', 'deployment.rejected');
    expect(await page.textContent('#event-count')).toBe('1 of 36 events');
    await page.close();
  });

  it('shows the registers and the figures: nonconformities, deployments per environment, inline SVG charts', async () => {
    const repo = join(dir, 'registers');
    cpSync(EXAMPLE, repo, { recursive: true });
    const store = new FileStore(join(repo, '.aims-gate/audit-log.jsonl'));
    const gate = (time: string, environment: string, approved: boolean) =>
      record(
        store,
        {
          type: approved ? 'deployment.approved' : 'deployment.rejected',
          time,
          actor: { login: 'release-bot', id: 7, via: 'github' },
          subject: { repository: 'acme/ml-platform', commit: 'c0ffee'.repeat(6).slice(0, 40), environment },
          details: {
            reason: approved ? 'approved' : 'missing an approval',
            by: 'aims-gate',
            writer: 'aims-gate Action, workflow run https://github.com/acme/ml-platform/actions/runs/9',
            systems: ['credit-scoring', 'churn-predictor'],
            pullRequests: ['#41'],
            approvers: ['dana'],
            roles: ['#41 risk owner: dana'],
          },
          evidence: [],
        },
        { signer: exampleGateSigner() },
      );
    await gate('2026-10-20T10:00:00Z', 'staging', true);
    await gate('2026-10-21T10:00:00Z', 'production', false);
    const { code, file } = htmlReport(repo, 'registers.html');
    expect(code).toBe(0);
    const { page, requests } = await open(file);
    expect(requests).toEqual([pathToFileURL(file).href]);
    // The internal audit's nonconformity is open and past its due date; the incident's is closed, and so is the
    // gate's that was corrected and reviewed.
    expect(await page.locator('#nonconformities tr.nc.overdue td:first-child').allTextContents()).toEqual([
      'NC-19',
    ]);
    expect(await page.locator('#nonconformities tr.nc.closed td:first-child').allTextContents()).toEqual([
      'NC-13',
      'NC-0f326e4a2fca',
    ]);
    expect(await page.textContent('#count-overdue .value')).toBe('1');
    // One row per system a decision ships: 2 from the example + 2 decisions × 2 systems, all signed by the gate key.
    expect(await page.locator('#deployments tr.deployment').count()).toBe(6);
    expect(await page.locator('#deployments tr.not-gate, #deployments tr.forged').count()).toBe(0);
    await page.selectOption('#filter-environment', 'staging');
    expect(
      await page.locator('#deployments tr.deployment:visible td:nth-child(3)').allTextContents(),
    ).toEqual(['credit-scoring', 'churn-predictor']);
    expect(await page.textContent('#deployments tr.deployment:visible td:nth-child(8)')).toBe(
      '#41 risk owner: dana',
    );
    await page.selectOption('#filter-system', 'churn-predictor');
    expect(await page.locator('#deployments tr.deployment:visible').count()).toBe(1);
    // Three charts, drawn inline: October has the two decisions, one approved and one rejected.
    expect(await page.locator('#kpis svg').count()).toBe(3);
    const titles = await page.locator('#kpis svg rect title').allTextContents();
    expect(titles).toContain('2026-10 approved: 1');
    expect(titles).toContain('2026-10 rejected: 1');
    await page.close();
  });

  it('reports a log line that parses but is no entry, and still renders', async () => {
    const repo = join(dir, 'malformed');
    cpSync(EXAMPLE, repo, { recursive: true });
    const log = join(repo, '.aims-gate/audit-log.jsonl');
    writeFileSync(log, `${readFileSync(log, 'utf8')}{"seq":21,"type":"incident","details":null}\n`);
    const { code, file } = htmlReport(repo, 'malformed.html');
    expect(code).toBe(1);
    const { page } = await open(file);
    expect(await page.textContent('#verification .bad-lines')).toContain(
      '1 line of the log is no audit entry (line 37)',
    );
    expect(await page.textContent('#count-events .value')).toBe('36');
    await page.close();
  });

  it('prints without the filters', async () => {
    const { page } = await open(join(dir, 'report.html'));
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.filters').isVisible()).toBe(false);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await page.close();
  });

  it('names what it is: document control, the period it counts, evidence files with digests, lines to sign', async () => {
    const file = join(dir, 'controlled.html');
    const made = spawnSync(
      process.execPath,
      [
        BIN,
        'report',
        EXAMPLE,
        '-f',
        'html',
        '-o',
        file,
        '--today',
        '2026-11-01',
        '--since',
        '2026-10-01',
        '--until',
        '2026-10-31',
      ],
      { encoding: 'utf8' },
    );
    expect(made.status).toBe(0);
    const { page, requests } = await open(file);
    expect(requests).toEqual([pathToFileURL(file).href]);
    const id = await page.getAttribute('#control', 'data-document-id');
    expect(id).toMatch(/^AGR-[0-9A-F]{16}$/);
    expect(await page.title()).toBe(`AI management system audit report — Acme Lending Ltd — ${id}`);
    const row = (label: string) => page.textContent(`#control th:text-is("${label}") + td`);
    const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: EXAMPLE, encoding: 'utf8' }).stdout.trim();
    expect(await row('Commit')).toBe(commit);
    expect(await row('Period')).toBe('2026-10-01 to 2026-10-31');
    expect(await row('Organisation')).toBe('Acme Lending Ltd');
    expect(await row('Generated')).toMatch(/ by aims-gate 0\.1\.0$/);
    // Only October's nineteen events are counted and listed.
    expect(await page.textContent('#count-events .value')).toBe('19');
    expect(await page.textContent('#event-count')).toBe('19 of 19 events');
    // The files the log cites, with the digest it recorded and what the working tree holds now.
    const evidence = page.locator('#evidence tr.evidence-file');
    expect(await evidence.count()).toBe(10);
    const audit = evidence.filter({ hasText: 'governance/evidence/internal-audit-IA-2026-1.md' });
    expect(await audit.getAttribute('data-state')).toBe('matches');
    expect(await audit.locator('.digest').textContent()).toMatch(/^[0-9a-f]{64}$/);
    // Lines to sign for each role, blank: a signature is made on paper or a signed copy, not typed in.
    expect(await page.locator('#sign-off tbody tr').allTextContents()).toEqual([
      'Prepared by',
      'Reviewed by',
      'Approved by',
    ]);
    await page.close();

    // A copy outside git: no commit vouches for it, and the report says so before anything else.
    const loose = join(dir, 'loose');
    cpSync(EXAMPLE, loose, { recursive: true });
    const { file: draft } = htmlReport(loose, 'loose.html');
    const opened = await open(draft);
    expect(await opened.page.textContent('#draft strong')).toBe(
      '⚠ Draft: no commit vouches for what was read',
    );
    expect(await opened.page.getAttribute('#control', 'data-clean')).toBe('false');
    await opened.page.close();
  }, 60_000);

  it('shows a tampered log as failed verification', async () => {
    const repo = join(dir, 'tampered');
    cpSync(EXAMPLE, repo, { recursive: true });
    const log = join(repo, '.aims-gate/audit-log.jsonl');
    const lines = readFileSync(log, 'utf8').split('\n');
    lines[4] = lines[4]!.replace('"data_window":"2019-2025"', '"data_window":"2020-2025"');
    writeFileSync(log, lines.join('\n'));
    const { code, file } = htmlReport(repo, 'tampered.html');
    expect(code).toBe(1);
    const { page } = await open(file);
    expect(await page.getAttribute('#verification', 'data-verified')).toBe('false');
    expect(await page.textContent('#verification p')).toContain(
      'Verification FAILED at entry 5 (line 5): entry 5 was changed after it was written',
    );
    expect(await page.getAttribute('#soa tr[data-control="A.6.2.8"]', 'data-status')).toBe('major');
    await page.close();
  });
});
