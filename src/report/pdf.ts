import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../errors.js';
import { escapeHtml as esc } from './escape.js';

/**
 * HTML to PDF through the headless Chromium already on the machine, driven over the DevTools protocol on a
 * pipe (--remote-debugging-pipe: NUL-terminated JSON on file descriptors 3 and 4, as puppeteer's pipe transport
 * speaks it). No browser is downloaded and no library bundled: Node 20 has no WebSocket of its own, and the
 * pipe needs none. Page.printToPDF is what gives each page a header and a footer with its number and the total
 * (`chromium --print-to-pdf` cannot).
 */

/** Executables looked for on PATH, in this order; AIMS_GATE_CHROMIUM names one anywhere. */
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

const HOW_TO_GET_ONE =
  'install one (Debian or Ubuntu: apt-get install chromium; elsewhere Google Chrome), or name its executable in AIMS_GATE_CHROMIUM';

/** The Chromium to print with: AIMS_GATE_CHROMIUM, else the first of CHROMIUM_NAMES on PATH. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.AIMS_GATE_CHROMIUM;
  if (given) {
    if (!runnable(given))
      throw new UsageError(`AIMS_GATE_CHROMIUM=${given} is not an executable file: ${HOW_TO_GET_ONE}`);
    return given;
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean))
    for (const name of CHROMIUM_NAMES) if (runnable(join(dir, name))) return join(dir, name);
  throw new UsageError(
    `report -f pdf prints through a headless Chromium, and none was found on PATH (${CHROMIUM_NAMES.join(', ')}): ${HOW_TO_GET_ONE}`,
  );
}

function runnable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export interface PdfOptions {
  /** Each page's header, left and right; the footer's left. Plain text (escaped here). */
  header: { left: string; right: string };
  footer: string;
  /** Printed in red in the header of every page (a draft). */
  warning?: string;
  chromium?: string;
  /** Milliseconds before Chromium is given up on (a report of a million entries takes a while). */
  timeout?: number;
}

/** A4 landscape, the registers' ten columns fit; margins leave room for the header and footer. */
const PAGE = {
  landscape: true,
  paperWidth: 8.27,
  paperHeight: 11.69,
  marginTop: 0.6,
  marginBottom: 0.6,
  marginLeft: 0.4,
  marginRight: 0.4,
};

const TEMPLATE_STYLE =
  'font: 8px system-ui, sans-serif; color: #59636e; width: 100%; margin: 0 0.4in; display: flex; justify-content: space-between; gap: 16px;';

/** The page's header and footer as Chromium's templates: it fills in .pageNumber and .totalPages. */
export function templates(options: Pick<PdfOptions, 'header' | 'footer' | 'warning'>): {
  headerTemplate: string;
  footerTemplate: string;
} {
  const warning = options.warning
    ? `<span style="color: #cf222e; font-weight: 600;">${esc(options.warning)}</span>`
    : '';
  return {
    headerTemplate: `<div style="${TEMPLATE_STYLE}"><span>${esc(options.header.left)}</span>${warning}<span>${esc(options.header.right)}</span></div>`,
    footerTemplate: `<div style="${TEMPLATE_STYLE}"><span>${esc(options.footer)}</span><span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`,
  };
}

/** Prints a self-contained HTML page to PDF bytes. */
export async function printPdf(html: string, options: PdfOptions): Promise<Buffer> {
  const chromium = options.chromium ?? findChromium();
  const dir = await mkdtemp(join(tmpdir(), 'aims-gate-pdf-'));
  const page = join(dir, 'report.html');
  await writeFile(page, html);
  const args = [
    '--headless',
    '--remote-debugging-pipe',
    `--user-data-dir=${join(dir, 'profile')}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-gpu',
    '--disable-extensions',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    // Chromium's sandbox cannot start as root; the page it prints is the report, offline (its CSP forbids requests).
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    'about:blank',
  ];
  const child = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const cdp = new DevTools(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const failed = new Promise<never>((_, reject) => {
    const fail = (why: string) =>
      reject(
        new Error(
          `Chromium (${chromium}) ${why}${stderr.trim() ? `; it said: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`,
        ),
      );
    child.on('error', (error) => fail(`could not start: ${error.message}`));
    child.on('exit', (code, signal) =>
      fail(`stopped before the PDF was printed (${signal ?? `exit ${code}`})`),
    );
    setTimeout(
      () => fail(`printed nothing in ${(options.timeout ?? 120_000) / 1000} s`),
      options.timeout ?? 120_000,
    ).unref();
  });
  // After the PDF, Chromium's exit is expected: this promise may reject when no one awaits it any more.
  failed.catch(() => {});
  try {
    return await Promise.race([failed, print(cdp, pathToFileURL(page).href, options)]);
  } finally {
    await stop(child, cdp);
    await rm(dir, { recursive: true, force: true });
  }
}

async function print(cdp: DevTools, url: string, options: PdfOptions): Promise<Buffer> {
  const { targetId } = await cdp.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
    targetId,
    flatten: true,
  });
  await cdp.send('Page.enable', {}, sessionId);
  const loaded = cdp.once('Page.loadEventFired', sessionId);
  loaded.catch(() => {}); // observed where it is awaited; a navigation that fails first must not leave it unhandled
  const navigated = await cdp.send<{ errorText?: string }>('Page.navigate', { url }, sessionId);
  if (navigated.errorText) throw new Error(`Chromium could not open the report: ${navigated.errorText}`);
  await loaded;
  const { stream } = await cdp.send<{ stream: string }>(
    'Page.printToPDF',
    {
      ...PAGE,
      ...templates(options),
      displayHeaderFooter: true,
      printBackground: true,
      transferMode: 'ReturnAsStream',
    },
    sessionId,
  );
  const chunks: Buffer[] = [];
  for (;;) {
    const read = await cdp.send<{ data: string; eof: boolean; base64Encoded?: boolean }>(
      'IO.read',
      {
        handle: stream,
        size: 1 << 20,
      },
      sessionId,
    );
    chunks.push(Buffer.from(read.data, read.base64Encoded ? 'base64' : 'utf8'));
    if (read.eof) break;
  }
  await cdp.send('IO.close', { handle: stream }, sessionId);
  return Buffer.concat(chunks);
}

/** Asks Chromium to close, then makes sure it has: no browser is left running after a report. */
async function stop(child: ChildProcess, cdp: DevTools): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cdp.send('Browser.close').catch(() => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** The DevTools protocol over Chromium's pipe: one JSON message per NUL-terminated frame. */
class DevTools {
  private next = 1;
  private buffered = '';
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiters: { method: string; sessionId?: string; resolve: () => void }[] = [];

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.setEncoding('utf8');
    output.on('data', (text: string) => {
      this.buffered += text;
      for (let end = this.buffered.indexOf('\0'); end >= 0; end = this.buffered.indexOf('\0')) {
        const frame = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end + 1);
        this.receive(JSON.parse(frame));
      }
    });
    // Writing to a pipe Chromium has closed is its exit, which printPdf reports; not a crash here.
    input.on('error', () => {});
  }

  send<T = unknown>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.next++;
    this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return new Promise((resolve, reject) =>
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }),
    );
  }

  once(method: string, sessionId?: string): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ method, sessionId, resolve }));
  }

  private receive(message: {
    id?: number;
    result?: unknown;
    error?: { message: string };
    method?: string;
    sessionId?: string;
  }): void {
    if (message.id !== undefined) {
      const call = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) call?.reject(new Error(`Chromium: ${message.error.message}`));
      else call?.resolve(message.result);
      return;
    }
    const index = this.waiters.findIndex(
      (w) => w.method === message.method && w.sessionId === message.sessionId,
    );
    if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve();
  }
}
