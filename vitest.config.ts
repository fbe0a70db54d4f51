import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects, both run by `npm test`. `fast` (`npm run test:fast`) is the unit and in-process tests, to run
 * at every change. `integration` (test/integration/) is what starts real processes: the CLI as a user runs
 * it, the bundled Action, the App's process, redis-server, Chromium, openssl's time-stamp authority, processes
 * killed or racing for a lock. Those take seconds each, and longer on a busy machine.
 */
export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
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
