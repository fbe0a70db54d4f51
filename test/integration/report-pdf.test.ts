import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM_NAMES, findChromium, templates } from '../../src/report/pdf.js';
import { VERSION } from '../../src/version.js';
import { EXAMPLE } from '../helpers.js';
import { cli as run } from './cli-process.js';

// Debian's chromium prints the PDF, and poppler-utils reads it back (.ci/run installs both). The test fails
// (not skips) without them: the PDF must be seen working.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'aims-pdf-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(args, process.cwd(), { AIMS_GATE_CHROMIUM: CHROMIUM, ...env });

function poppler(tool: string, args: string[]): string {
  const result = spawnSync(tool, args, { encoding: 'utf8' });
  if (result.error) throw new Error(`${tool} is not installed: apt-get install poppler-utils (.ci/run does)`);
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

describe('report -f pdf through the machine’s Chromium', () => {
  it('prints the example with its document control on the first page and "Page i of N" on every page', () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
    const file = join(dir, 'report.pdf');
    const made = cli([
      'report',
      EXAMPLE,
      '-f',
      'pdf',
      '-o',
      file,
      '--today',
      '2026-11-01',
      '--since',
      '2026-06-01',
      '--prepared-by',
      'Jo Quality',
    ]);
    expect(made.code).toBe(0);
    expect(made.stdout).toBe('');
    const id = /wrote the pdf report (AGR-[0-9A-F]{16}) to /.exec(made.stderr)?.[1];
    expect(id).toBeDefined();

    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 7).toString('latin1')).toBe('%PDF-1.');
    expect(bytes.subarray(-6).toString('latin1')).toMatch(/%%EOF\s*$/);
    const info = poppler('pdfinfo', [file]);
    const pages = Number(/^Pages:\s+(\d+)$/m.exec(info)?.[1]);
    // The structure agrees with what poppler counts: one page object per page, A4 landscape.
    expect(bytes.toString('latin1').match(/\/Type \/Page\b/g)).toHaveLength(pages);
    expect(pages).toBeGreaterThan(5);
    expect(info).toMatch(/^Page size:\s+841\.9\d? x 595\.9\d? pts \(A4\)$/m);
    expect(info).toMatch(
      new RegExp(`^Title:\\s+AI management system audit report — Acme Lending Ltd — ${id}$`, 'm'),
    );

    const text = (page: number) =>
      poppler('pdftotext', ['-layout', '-f', String(page), '-l', String(page), file, '-']);
    for (let page = 1; page <= pages; page++) {
      const words = text(page);
      expect(words, `page ${page}`).toContain(`Page ${page} of ${pages}`);
      expect(words, `page ${page}`).toContain(id!);
    }
    // The first page says what the document is: organisation, period, commit, tool version.
    const first = text(1);
    const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: EXAMPLE, encoding: 'utf8' }).stdout.trim();
    expect(first).toMatch(/Organisation\s+Acme Lending Ltd/);
    expect(first).toMatch(/Period\s+2026-06-01 to 2026-11-01/);
    expect(first).toMatch(new RegExp(`Commit\\s+${commit}`));
    expect(first).toMatch(new RegExp(`by aims-gate ${VERSION.replace(/\./g, '\\.')}`));
    expect(first).toMatch(/Working tree\s+(clean|MODIFIED)/);
    // The evidence files and the sign-off, with the name given and lines to sign.
    const all = poppler('pdftotext', ['-layout', file, '-']);
    expect(all).toContain('Evidence files cited by the log');
    expect(all).toMatch(/governance\/evidence\/internal-audit-IA-2026-1\.md\s+[0-9a-f]{64}\s+#21\s+matches/);
    expect(all).toMatch(
      /Approval of this report[\s\S]*Prepared by\s+Jo Quality[\s\S]*Reviewed by[\s\S]*Approved by/,
    );
  }, 180_000);

  it('names how to get a Chromium when there is none, and writes nothing', () => {
    const file = join(dir, 'none.pdf');
    const given = cli(['report', EXAMPLE, '-f', 'pdf', '-o', file], {
      AIMS_GATE_CHROMIUM: '/nonexistent/chrome',
    });
    expect(given.code).toBe(2);
    expect(given.stderr).toContain('AIMS_GATE_CHROMIUM=/nonexistent/chrome is not an executable file');
    expect(given.stderr).toContain('apt-get install chromium');
    const none = cli(['report', EXAMPLE, '-f', 'pdf', '-o', file], {
      AIMS_GATE_CHROMIUM: '',
      PATH: join(dir, 'empty'),
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      `report -f pdf prints through a headless Chromium, and none was found on PATH (${CHROMIUM_NAMES.join(', ')})`,
    );
    expect(existsSync(file)).toBe(false);
    expect(() => findChromium({ PATH: join(dir, 'empty') })).toThrow('apt-get install chromium');
  }, 60_000);

  it('escapes the header and footer text: a name from a document is no markup', () => {
    const { headerTemplate, footerTemplate } = templates({
      header: { left: '<img src=x onerror=alert(1)>', right: 'AGR-1' },
      footer: 'a & b',
      warning: 'DRAFT',
    });
    expect(headerTemplate).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(headerTemplate).not.toContain('<img');
    expect(footerTemplate).toContain('a &amp; b');
    expect(footerTemplate).toContain(
      'Page <span class="pageNumber"></span> of <span class="totalPages"></span>',
    );
  });
});
