// The audit log: append throughput, and verify of a 1,000,000-entry log against a plain SHA-256 of its bytes.
import { rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { json, median, ROOT, RUNS, WORK } from './lib.js';

export const title = 'audit log';

const step = (...args) => json([join(ROOT, 'bench/audit-log.js'), ...args]);

export async function run() {
  const entries = Number(process.env.BENCH_LOG_ENTRIES ?? 1_000_000);
  const bigLog = join(WORK, 'audit-1m.jsonl');
  const smallLog = join(WORK, 'audit-100k.jsonl');
  const generated = step('generate', bigLog, String(entries));
  step('generate', smallLog, String(Math.round(entries / 10)));
  const bytes = statSync(bigLog).size;
  console.log(
    `  generated ${entries.toLocaleString('en')} entries (${(bytes / 2 ** 20).toFixed(0)} MiB) in ${(generated.ms / 1000).toFixed(1)} s: ${Math.round(entries / (generated.ms / 1000)).toLocaleString('en')} entries/s sealed and written in blocks`,
  );
  const appendLog = join(WORK, 'audit-append.jsonl');
  rmSync(appendLog, { force: true });
  const appended = step('append', appendLog, '2000');
  console.log(
    `  file store append (lock + tail read + write + fsync per entry): ${Math.round(2000 / (appended.ms / 1000)).toLocaleString('en')} entries/s over 2,000 appends`,
  );
  // Rounds alternate the floor and verify, so that a busy spell of a shared machine weighs on both alike.
  const rounds = Array.from({ length: RUNS }, () => {
    const sha = step('sha256', bigLog);
    const verified = step('verify', bigLog);
    return { sha, verified, ratio: verified.ms / sha.ms };
  });
  const verifyMs = median(rounds.map((r) => r.verified.ms));
  const shaMs = median(rounds.map((r) => r.sha.ms));
  const ratios = rounds.map((r) => r.ratio);
  const small = step('verify', smallLog);
  console.log(
    `  verify: ${(verifyMs / 1000).toFixed(2)} s = ${Math.round(entries / (verifyMs / 1000)).toLocaleString('en')} entries/s; plain SHA-256 of the bytes ${(shaMs / 1000).toFixed(2)} s`,
  );
  console.log(
    `  ratio verify / SHA-256 floor: ${(verifyMs / shaMs).toFixed(2)} (medians; per round median ${median(ratios).toFixed(2)}, ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} over ${RUNS} rounds; load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores)  (aim: at most 4)`,
  );
  console.log(
    `  peak RSS of verify: ${small.maxRssMiB.toFixed(0)} MiB for ${(entries / 10).toLocaleString('en')} entries, ${Math.max(...rounds.map((r) => r.verified.maxRssMiB)).toFixed(0)} MiB for ${entries.toLocaleString('en')} (flat is the aim)`,
  );

  // Signed entries: per entry, in one process on the same entries, against a bare SHA-256 of each line.
  const signing = step('signing', '-', String(Number(process.env.BENCH_SIGNED_ENTRIES ?? 20_000)));
  console.log(
    `  signed entries (${signing.entries.toLocaleString('en')}, ${signing.lineBytes} bytes a line, Ed25519 in SSHSIG): sign ${signing.signUs.toFixed(1)} µs, verify (chain + signature) ${signing.verifyUs.toFixed(1)} µs, bare SHA-256 of the line ${signing.shaUs.toFixed(2)} µs per entry; ratios sign / SHA-256 ${(signing.signUs / signing.shaUs).toFixed(0)}, verify / SHA-256 ${(signing.verifyUs / signing.shaUs).toFixed(0)}`,
  );

  // What reads the whole log besides verify: each command's peak memory, streaming it (aim: 200 MiB at 1M).
  const commands = [
    ['report -f html', ['report', '--today', '2026-11-01', '-f', 'html', '-o', join(WORK, 'report.html')]],
    ['report -f markdown', ['report', '--today', '2026-11-01', '-f', 'markdown']],
    ['nc', ['nc', '--today', '2026-11-01']],
    ['inventory', ['inventory', '--today', '2026-11-01']],
    ['log', ['log']],
  ];
  for (const [name, args] of commands) {
    const ran = step('cli', bigLog, ...args);
    const bytes = name === 'report -f html' ? statSync(join(WORK, 'report.html')).size : ran.outputBytes;
    console.log(
      `  ${name} of the example with the ${entries.toLocaleString('en')}-entry log: ${(ran.ms / 1000).toFixed(1)} s, output ${(bytes / 2 ** 20).toFixed(1)} MiB, peak RSS ${ran.maxRssMiB.toFixed(0)} MiB (aim: at most 200; load average ${loadavg()[0].toFixed(1)})`,
    );
  }
}
