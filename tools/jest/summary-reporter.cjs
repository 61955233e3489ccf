// Records each jest run's pass/fail counts in BULKHEAD_TEST_SUMMARY_DIR (when set), so the
// README's test command can print one closing line for the whole suite across Nx projects.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const dir = process.env.BULKHEAD_TEST_SUMMARY_DIR;
    if (!dir) return;
    fs.mkdirSync(dir, { recursive: true });
    const summary = {
      cwd: process.cwd(),
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      suites: results.testResults.map((r) => path.relative(process.cwd(), r.testFilePath)),
    };
    fs.writeFileSync(path.join(dir, `${crypto.randomUUID()}.json`), JSON.stringify(summary));
  }
}

module.exports = SummaryReporter;
