import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry, EventDraft } from '../src/audit/entry.js';
import { FileStore } from '../src/audit/file-store.js';
import { record } from '../src/audit/store.js';
import { verifyLog } from '../src/audit/verify.js';
import { conformantRepo } from './helpers.js';

/*
 * The file store's lock, between real processes: each child is node running the built store (lib/), or the
 * built CLI, as a user runs it. A holder is a child that takes the lock the way an append takes it (the store's
 * own lock(), private to TypeScript only) and keeps it until it is killed, as a crash would leave it.
 */

const BIN = join(import.meta.dirname, '..', 'bin', 'aims-gate.js');
const lib = (file: string) => JSON.stringify(new URL(`../lib/audit/${file}`, import.meta.url).href);

/** Appends `each` entries. */
const WRITER = `
  const { FileStore } = await import(${lib('file-store.js')});
  const { record } = await import(${lib('store.js')});
  const [path, writer, each] = process.argv.slice(1);
  const store = new FileStore(path);
  for (let i = 0; i < Number(each); i++)
    await record(store, { type: 'custom.lock-test', time: new Date().toISOString(),
      actor: { login: 'writer-' + writer }, subject: { system: 's' }, details: { i }, evidence: [] });`;

/** Appends one entry for each line on stdin, saying "done <n>" after the n-th. */
const RACER = `
  const { FileStore } = await import(${lib('file-store.js')});
  const { record } = await import(${lib('store.js')});
  const { createInterface } = await import('node:readline');
  const store = new FileStore(process.argv[1]);
  process.stdout.write('ready\\n');
  let round = 0;
  for await (const _ of createInterface({ input: process.stdin })) {
    await record(store, { type: 'custom.lock-test', time: new Date().toISOString(),
      actor: { login: 'racer-' + process.argv[2] }, subject: { system: 's' }, details: { i: round }, evidence: [] });
    process.stdout.write('done ' + ++round + '\\n');
  }`;
const ROUNDS = 10;

const HOLDER = `
  const { FileStore } = await import(${lib('file-store.js')});
  await new FileStore(process.argv[1]).lock();
  process.stdout.write('held\\n');
  setInterval(() => {}, 1 << 30);`;

const temps: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aims-lock-'));
  temps.push(dir);
  return dir;
}

function node(args: string[], cwd?: string): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

/** How a child ended, with all it printed. */
function ended(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Resolves when the child prints `line`; rejects if it ends first (the test's timeout bounds the wait). */
function said(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let stderr = '';
    child.stderr?.on('data', (text: Buffer) => {
      stderr += text;
    });
    child.stdout?.on('data', (text: Buffer) => {
      seen += text;
      if (seen.split('\n').includes(line)) resolve();
    });
    child.on('close', (code) => reject(new Error(`exited ${code} before saying ${line}: ${stderr}`)));
  });
}

/** The lines a child prints, one at a time; the last rejects when the child ends without one. */
function lines(child: ChildProcess): () => Promise<string> {
  const reading = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return async () => {
    const { value, done } = await reading.next();
    if (done) throw new Error('the child ended without saying more');
    return value;
  };
}

const cli = (args: string[], cwd: string) => ended(node([BIN, ...args], cwd));
const writer = (log: string, name: string, each: number) =>
  node(['--input-type=module', '-e', WRITER, log, name, String(each)]);

/** A live process holding the lock of `log`. */
async function holder(log: string): Promise<ChildProcess> {
  const child = node(['--input-type=module', '-e', HOLDER, log]);
  await said(child, 'held');
  return child;
}

/** What a holder killed mid-append leaves: its lock, naming a process that is gone. */
async function killedHolder(log: string): Promise<void> {
  const child = await holder(log);
  const gone = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

/** Dates everything in the lock an hour back, as a lock left long ago. */
function age(lock: string): void {
  const then = new Date(Date.now() - 3_600_000);
  const paths = statSync(lock).isDirectory() ? readdirSync(lock).map((name) => join(lock, name)) : [];
  for (const path of [...paths, lock]) utimesSync(path, then, then);
}

/** The log's entries, as writer/i, after `aims-gate verify` says the chain holds with `count` entries. */
async function verified(log: string, count: number): Promise<string[]> {
  const result = await cli(['verify', '--log', log], tempDir());
  expect(result, `${result.stdout}${result.stderr}`).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout).toContain(`intact, ${count} ${count === 1 ? 'entry' : 'entries'}`);
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const entry = JSON.parse(line) as AuditEntry;
      return `${entry.actor.login}/${entry.details.i}`;
    });
}

describe('the audit log lock, between processes', () => {
  it('processes appending at once lose nothing, the chain verifies, and no lock is left', async () => {
    const log = join(tempDir(), 'audit-log.jsonl');
    const writers = Array.from({ length: 8 }, (_, w) => ended(writer(log, String(w), 10)));
    for (const { code, stderr } of await Promise.all(writers))
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(new Set(await verified(log, 80)).size).toBe(80);
    expect(existsSync(`${log}.lock`)).toBe(false);
  });

  it('breaks the lock of a process killed while holding it, and appends', async () => {
    const log = join(tempDir(), 'audit-log.jsonl');
    await killedHolder(log);
    age(`${log}.lock`);
    expect(await ended(writer(log, 'after', 1))).toMatchObject({ code: 0, stderr: '' });
    expect(await verified(log, 1)).toEqual(['writer-after/0']);
    expect(existsSync(`${log}.lock`)).toBe(false);
  });

  it('many processes breaking the same stale lock at once: one holds it at a time, every append lands', async () => {
    const log = join(tempDir(), 'audit-log.jsonl');
    const racers = Array.from({ length: 8 }, (_, w) =>
      node(['--input-type=module', '-e', RACER, log, String(w)]),
    );
    const results = racers.map(ended);
    const next = racers.map(lines);
    expect(await Promise.all(next.map((line) => line()))).toEqual(Array(8).fill('ready'));
    // Each round, a killed holder's lock that every racer judges stale at once. The race is won or lost by
    // chance: ten rounds forked the chain in each of three runs against the lock file this lock replaced.
    for (let round = 1; round <= ROUNDS; round++) {
      await killedHolder(log);
      age(`${log}.lock`);
      for (const racer of racers) racer.stdin?.write('go\n');
      expect(await Promise.all(next.map((line) => line()))).toEqual(Array(8).fill(`done ${round}`));
    }
    for (const racer of racers) racer.stdin?.end();
    for (const { code, stderr } of await Promise.all(results))
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(new Set(await verified(log, 8 * ROUNDS)).size).toBe(8 * ROUNDS);
    expect(existsSync(`${log}.lock`)).toBe(false);
  });

  it('a live holder past the lock timeout: the CLI fails closed naming the lock, and writes nothing', async () => {
    const repo = tempDir();
    for (const [path, text] of Object.entries(conformantRepo())) {
      mkdirSync(join(repo, path, '..'), { recursive: true });
      writeFileSync(join(repo, path), text);
    }
    const log = join(repo, '.aims-gate', 'audit-log.jsonl');
    const event = ['record', '--type', 'monitoring.alert', '--system', 'credit-scoring'];
    expect(await cli(event, repo)).toMatchObject({ code: 0, stderr: '' });
    const before = readFileSync(log);
    const held = await holder(log);
    const lockedOut = await cli(event, repo);
    expect(lockedOut.code).toBe(2);
    expect(lockedOut.stderr).toBe(
      `aims-gate: the audit log ${log} is locked by another process (${log}.lock); try again, or remove ${log}.lock if no aims-gate is running\n`,
    );
    expect(readFileSync(log)).toEqual(before);
    expect(existsSync(`${log}.torn`)).toBe(false);
    // The holder's lock is untouched; once it is gone, the next append goes through.
    expect(held.exitCode).toBe(null);
    held.kill('SIGKILL');
    await new Promise((resolve) => held.on('exit', resolve));
    expect(await cli(event, repo)).toMatchObject({ code: 0, stderr: '' });
    expect(await verified(log, 2)).toHaveLength(2);
  }, 60_000);
});

const draft = (i: number): EventDraft => ({
  type: 'custom.lock-test',
  time: '2026-11-01T10:00:00.000Z',
  actor: { login: 'tester' },
  subject: { system: 's' },
  details: { i },
  evidence: [],
});

describe('what a lock left behind says', () => {
  it('an empty lock (a writer killed before naming itself in it) locks nothing: taken at once', async () => {
    const log = join(tempDir(), 'audit-log.jsonl');
    mkdirSync(`${log}.lock`);
    // Far less than staleLock (60 s): the append does not wait for the empty lock to age.
    await record(new FileStore(log, { lockTimeout: 2_000 }), draft(1));
    expect(await verifyLog(new FileStore(log).lines())).toMatchObject({ ok: true, entries: 1 });
    expect(existsSync(`${log}.lock`)).toBe(false);
  });

  it('a process of another host or container is judged by the age of its lock alone', async () => {
    const log = join(tempDir(), 'audit-log.jsonl');
    await killedHolder(log);
    const lock = `${log}.lock`;
    const [token] = readdirSync(lock);
    const [pid, , nonce] = token!.split('.');
    // Its pid is gone here, but a pid says nothing outside its own host and pid namespace.
    renameSync(join(lock, token!), join(lock, `${pid}.${'f'.repeat(16)}.${nonce}`));
    const store = new FileStore(log, { lockTimeout: 300 });
    await expect(record(store, draft(1))).rejects.toThrow(`is locked by another process (${lock})`);
    expect(existsSync(log)).toBe(false);
    age(lock);
    await record(store, draft(1));
    expect(await verifyLog(store.lines())).toMatchObject({ ok: true, entries: 1 });
  });

  it('a lock file of an older aims-gate is never broken (this one cannot judge it): fails closed', async () => {
    const log = join(tempDir(), 'audit-log.jsonl');
    writeFileSync(`${log}.lock`, '2147483647\n');
    age(`${log}.lock`);
    const store = new FileStore(log, { lockTimeout: 300 });
    await expect(record(store, draft(1))).rejects.toThrow(
      `the audit log ${log} is locked by another process (${log}.lock); try again, or remove ${log}.lock if no aims-gate is running`,
    );
    expect(existsSync(log)).toBe(false);
    expect(readFileSync(`${log}.lock`, 'utf8')).toBe('2147483647\n');
  });
});
