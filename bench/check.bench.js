// check of a synthetic monorepo against its floor, and at scale with the open-file limit many machines have.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateMonorepo } from './generate.js';
import { ENV, json, ROOT, ratio, WORK } from './lib.js';

export const title = 'check of a 2,000-system monorepo (6,000 documents)';

export async function run() {
  const monorepo = join(WORK, 'monorepo-2000');
  if (!existsSync(join(monorepo, '.github/aims-gate.yml'))) {
    const documents = generateMonorepo(monorepo, 2000);
    console.log(`  generated ${monorepo}: 2,000 systems, ${documents} documents`);
  }
  const check = [
    join(ROOT, 'bin/aims-gate.js'),
    'check',
    monorepo,
    '--format',
    'json',
    '--today',
    '2026-11-01',
  ];
  ratio('check / floor', {
    floor: {
      label: 'read + YAML-parse + Markdown-parse (floor)',
      args: [join(ROOT, 'bench/baseline.js'), monorepo],
    },
    command: { label: 'aims-gate check --format json', args: check },
    aim: 1.6,
  });
  const result = json(check);
  console.log(
    `  evaluated ${result.systems.length} systems, ${result.findings.length} findings, verdict ${result.verdict}`,
  );

  // Scale: 20,000 systems (60,000 documents), with the open-file limit many machines have (ulimit -n 1024).
  const systems = Number(process.env.BENCH_SCALE_SYSTEMS ?? 20_000);
  const huge = join(WORK, `monorepo-${systems}`);
  if (!existsSync(join(huge, '.github/aims-gate.yml'))) generateMonorepo(huge, systems);
  const scaled = spawnSync(
    'sh',
    ['-c', `ulimit -n 1024 && "${process.execPath}" bench/check-scale.js "${huge}"`],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26, env: ENV },
  );
  if (scaled.status !== 0) throw new Error(`check of ${systems} systems failed: ${scaled.stderr}`);
  const scale = JSON.parse(scaled.stdout);
  console.log(
    `  ${scale.systems.toLocaleString('en')} systems (${(scale.systems * 3).toLocaleString('en')} documents), at most 1,024 open files: ${(scale.ms / 1000).toFixed(1)} s, ${(scale.ms / scale.systems).toFixed(2)} ms per system, peak RSS ${scale.peakRssMiB.toFixed(0)} MiB`,
  );
}
