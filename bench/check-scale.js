// aims-gate check of a generated monorepo of N systems, in this process, with at most 1,024 files open
// (ulimit -n on many machines): prints one JSON line with the time, the peak RSS and what was found.
import { main } from '../lib/cli/main.js';

const [dir] = process.argv.slice(2);
let out = '';
const start = performance.now();
const code = await main(['check', dir, '--format', 'json', '--today', '2026-11-01'], {
  out: (text) => {
    out += text;
  },
  err: (text) => process.stderr.write(text),
  color: false,
});
const ms = performance.now() - start;
const evaluation = JSON.parse(out);
console.log(
  JSON.stringify({
    code,
    ms,
    systems: evaluation.systems.length,
    findings: evaluation.findings.length,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
