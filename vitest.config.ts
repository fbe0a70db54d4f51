import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (docs/testing.md has the measured times), started first: with no cache of earlier
 * durations (a fresh clone, CI) Vitest starts the largest files first, and a short file with one long test
 * (pre-commit's installs the package; branch-store's has 20 writers race) would be left to run alone at the end.
 */
const LONGEST = [
  'test/integration/action.test.ts',
  'test/integration/pre-commit.test.ts',
  'test/integration/app-operate.test.ts',
  'test/branch-store.test.ts',
  'test/report-control.test.ts',
  'test/integration/app-redis.test.ts',
  'test/integration/file-lock.test.ts',
  'test/integration/html-report.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const at = LONGEST.findIndex((path) => spec.moduleId.endsWith(`/${path}`));
      return at === -1 ? LONGEST.length : at;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b)); // stable: the rest keep their order
  }
}

/**
 * Two projects, both run by `npm test`. `fast` (`npm run test:fast`) is the unit and in-process tests, to run
 * at every change. `integration` (test/integration/) is what starts real processes: the CLI as a user runs
 * it, the bundled Action, the App's process, redis-server, Chromium, openssl's time-stamp authority, processes
 * killed or racing for a lock. Those take seconds each, and longer on a busy machine.
 */
export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    // Vitest's default is one worker fewer than the cores: one on a two-core CI runner, every file in turn.
    // One a core. Not isolate: false for the fast project: files would share module state (the limiters
    // @octokit/plugin-throttling keeps at module level, for one), and two App tests failed so (docs/testing.md).
    maxWorkers: availableParallelism(),
    // A process a file (Vitest's default, said here because tests rely on it): test/cli-in-process.ts runs the
    // CLI in the test's process, changing its folder and variables for the run, which no other file may share.
    pool: 'forks',
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        extends: true,
        test: {
          name: 'fast',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/integration/**'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
