// aims-gate check (or inventory) of a repository of N systems, in this process, with at most 1,024 files open
// (ulimit -n on many machines): prints one JSON line with the time (wall and CPU), the peak RSS and what was
// found. The output goes to a file as it is written, not into this process's memory, so the peak RSS is the
// command's own; the file is counted afterwards by another process.
// Usage: node bench/check-scale.js DIR [check|inventory]
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';

// AIMS_GATE_LIB: another build of lib/ to measure (before and after a change, on the same inputs).
const { main } = await import(
  process.env.AIMS_GATE_LIB ? `${process.env.AIMS_GATE_LIB}/cli/main.js` : '../lib/cli/main.js'
);

const [dir, command = 'check'] = process.argv.slice(2);
const outPath = `${dir}.${command}.json`;
const fd = openSync(outPath, 'w');
// BENCH_LIVE=1 under --expose-gc: a full collection every 64 writes, and the most the heap held after one. What
// the command keeps alive, not when V8 chooses to collect (which the peak RSS of a plain run measures).
const collect = process.env.BENCH_LIVE === '1' ? globalThis.gc : undefined;
let writes = 0;
let liveHeap = 0;
const cpu = process.cpuUsage();
const start = performance.now();
const code = await main([command, dir, '--format', 'json', '--today', '2026-11-01'], {
  out: (text) => {
    writeSync(fd, text);
    if (collect && ++writes % 64 === 0) {
      collect();
      liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
    }
  },
  err: (text) => process.stderr.write(text),
  color: false,
});
const ms = performance.now() - start;
const { user, system } = process.cpuUsage(cpu);
closeSync(fd);
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const counted = spawnSync(
  process.execPath,
  [
    '-e',
    `const o = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
     console.log(JSON.stringify(Array.isArray(o) ? { systems: o.length } : { systems: o.systems.length, findings: o.findings.length }));`,
    outPath,
  ],
  { encoding: 'utf8', maxBuffer: 1 << 20 },
);
if (counted.status !== 0) throw new Error(`cannot read the ${command} output: ${counted.stderr}`);
rmSync(outPath);
console.log(
  JSON.stringify({
    command,
    code,
    ms,
    cpuMs: (user + system) / 1000,
    ...JSON.parse(counted.stdout),
    peakRssMiB,
    ...(collect ? { liveHeapMiB: liveHeap / 2 ** 20 } : {}),
  }),
);
