// Audit-log benchmarks, each step in its own process so memory figures are its own.
//   node bench/audit-log.js generate PATH N   write a valid chain of N entries (sealed one by one, written in blocks)
//   node bench/audit-log.js append PATH N     append N entries through the file store (lock, tail read, fsync each)
//   node bench/audit-log.js verify PATH       verify the chain (streaming)
//   node bench/audit-log.js sha256 PATH       a plain SHA-256 over the same bytes: the floor
//   node bench/audit-log.js cli PATH CMD ARG… aims-gate CMD ARG… on the example with this log (--log PATH), its
//                                             output written to /dev/null as to a file: `report -f html`, `nc`, …
//   node bench/audit-log.js signing - N       per entry, in this process, on the same N entries: signing, verifying
//                                             the signed log, and a bare SHA-256 of each line (µs each, medians)
// Each prints one JSON line: { ms, entries, maxRssMiB }.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { closeSync, createReadStream, openSync, rmSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { contentDigest, seal, sealSigned, serialise, sha256 } from '../lib/audit/entry.js';
import { FileStore } from '../lib/audit/file-store.js';
import { ed25519Signer } from '../lib/audit/signature.js';
import { record } from '../lib/audit/store.js';
import { verifyLog } from '../lib/audit/verify.js';

const [command, path, count] = process.argv.slice(2);
const n = Number(count);
const draft = (i) => ({
  type: i % 10 === 0 ? 'model.retrained' : 'evaluated',
  time: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
  actor: { login: 'ci-bot', id: 41898282 },
  subject: {
    repository: 'acme/ml-platform',
    system: `system-${i % 2000}`,
    commit: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
  },
  details: {
    verdict: i % 7 ? 'pass' : 'fail',
    findings: { major: i % 3, minor: i % 5, observation: 0, waived: 0 },
  },
  evidence: [
    {
      path: `models/system-${i % 2000}/MODEL_CARD.md`,
      sha256: createHash('sha256').update(String(i)).digest('hex'),
    },
  ],
});

const start = performance.now();
let entries = 0;
let outputBytes;
if (command === 'generate') {
  rmSync(path, { force: true });
  const fd = openSync(path, 'w');
  let head;
  let block = '';
  for (let i = 1; i <= n; i++) {
    const entry = seal(draft(i), head);
    head = { seq: entry.seq, hash: entry.hash };
    block += serialise(entry);
    if (block.length > 1 << 22) {
      writeSync(fd, block);
      block = '';
    }
  }
  writeSync(fd, block);
  closeSync(fd);
  entries = n;
} else if (command === 'append') {
  const store = new FileStore(path);
  for (let i = 1; i <= n; i++) await record(store, draft(i));
  entries = n;
} else if (command === 'verify') {
  // As aims-gate verify reads a file log: its blocks of bytes.
  const result = await verifyLog(new FileStore(path).blocks());
  if (!result.ok) throw new Error(`verify failed: ${JSON.stringify(result.problem)}`);
  entries = result.entries;
} else if (command === 'cli') {
  // A command as the CLI runs it, its standard output going to a file (/dev/null) a write at a time, as
  // `aims-gate log > file` does: what it holds is what it keeps, not what a pipe's reader has not read yet.
  const { main } = await import('../lib/cli/main.js');
  const example = fileURLToPath(new URL('../examples/ml-platform', import.meta.url));
  const fd = openSync('/dev/null', 'w');
  let bytes = 0;
  const io = {
    out(text) {
      bytes += Buffer.byteLength(text);
      writeSync(fd, text);
    },
    err(text) {
      if (process.env.BENCH_VERBOSE) process.stderr.write(text);
    },
    color: false,
  };
  const [name, ...rest] = process.argv.slice(4);
  const code = await main(
    [name, ...(name === 'nc' ? ['list', example] : [example]), ...rest, '--log', path],
    io,
  );
  if (code !== 0 && code !== 1) throw new Error(`${name} exited ${code}`);
  closeSync(fd);
  outputBytes = bytes;
} else if (command === 'signing') {
  // The same entries, signed by one gate key: what a gate-written log is.
  const signer = ed25519Signer(
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  );
  const trusted = [{ key: signer.publicKey, role: 'gate' }];
  const lines = [];
  const digests = [];
  let head;
  for (let i = 1; i <= n; i++) {
    const entry = await sealSigned(
      { ...draft(i), type: i % 2 ? 'deployment.approved' : 'evaluated' },
      head,
      signer,
    );
    head = { seq: entry.seq, hash: entry.hash };
    lines.push(serialise(entry));
    digests.push(contentDigest(entry));
  }
  const bytes = lines.map((line) => Buffer.from(line.slice(0, -1)));
  const block = Buffer.from(lines.join(''));
  const perEntry = (run) => {
    const t = performance.now();
    run();
    return ((performance.now() - t) * 1000) / n;
  };
  const rounds = [];
  // Rounds alternate the three, so that a busy spell of a shared machine weighs on all alike.
  for (let r = 0; r < 5; r++) {
    const sha = perEntry(() => {
      for (const line of bytes) sha256(line);
    });
    const t = performance.now();
    for (const digest of digests) await signer.sign(digest);
    const sign = ((performance.now() - t) * 1000) / n;
    const v = performance.now();
    const result = await verifyLog(
      (async function* () {
        yield block;
      })(),
      undefined,
      { trusted },
    );
    const verify = ((performance.now() - v) * 1000) / n;
    if (!result.ok || !result.signatures.ok) throw new Error('the signed log does not verify');
    rounds.push({ sha, sign, verify });
  }
  const mid = (key) => rounds.map((r) => r[key]).sort((a, b) => a - b)[2];
  entries = n;
  console.log(
    JSON.stringify({
      entries: n,
      lineBytes: Math.round(block.length / n),
      shaUs: mid('sha'),
      signUs: mid('sign'),
      verifyUs: mid('verify'),
    }),
  );
  process.exit(0);
} else if (command === 'sha256') {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk);
  hash.digest('hex');
} else {
  throw new Error(`unknown command ${command}`);
}
const ms = performance.now() - start;
console.log(JSON.stringify({ ms, entries, maxRssMiB: process.resourceUsage().maxRSS / 1024, outputBytes }));
