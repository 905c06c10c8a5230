import { defineConfig } from 'vitest/config';
import SummaryLineReporter from './test/summary-reporter.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Real sockets and child processes: give them room, but never hang CI.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', new SummaryLineReporter()],
    // vitest exits non-zero when no test file is found; keep that behaviour.
    passWithNoTests: false,
  },
});
