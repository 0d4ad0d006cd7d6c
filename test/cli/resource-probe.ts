/**
 * Loaded with `node --import` into a CLI child by test/cli/hostile-input.test.ts: at exit, writes
 * the process's peak resident size and CPU time (all threads) to $WS_RESOURCE_REPORT.
 */
import { writeFileSync } from 'node:fs';

const report = process.env.WS_RESOURCE_REPORT;
if (report) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(report, JSON.stringify({ maxRssKiB: u.maxRSS, cpuS: (u.userCPUTime + u.systemCPUTime) / 1e6 }));
  });
}
