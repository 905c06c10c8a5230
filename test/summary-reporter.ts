// Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own
// summary, so any CI reader can count what ran without parsing vitest's colours.
import type { Reporter } from 'vitest/reporters';

interface TaskLike {
  type: string;
  mode?: string;
  result?: { state?: string };
  tasks?: TaskLike[];
}

function count(tasks: readonly TaskLike[], acc = { passed: 0, failed: 0, skipped: 0 }) {
  for (const t of tasks) {
    if (t.tasks) count(t.tasks, acc);
    if (t.type !== 'test') continue;
    const s = t.result?.state;
    if (s === 'pass') acc.passed++;
    else if (s === 'fail') acc.failed++;
    else acc.skipped++;
  }
  return acc;
}

export default class SummaryLineReporter implements Reporter {
  onFinished(files: readonly TaskLike[] = [], errors: readonly unknown[] = []): void {
    const c = count(files);
    // A file that failed to load counts as a failure too.
    const failed = c.failed + files.filter((f) => f.result?.state === 'fail' && !(f.tasks ?? []).length).length + errors.length;
    process.stdout.write(`\ntests: ${c.passed} passed, ${failed} failed, ${c.skipped} skipped\n`);
  }
}
