/**
 * A coordinator process for the distributed test: runs the small study (test/study/small-plan.ts)
 * over the Redis at argv[2] into the run folder argv[3], so that the test can SIGKILL it mid-plan.
 * Without arguments (node --test imports every file under dist/test/) it does nothing.
 */
import { RedisExecutor } from '../../src/study/executors/redis.js';
import { runSmallStudy } from './small-plan.js';

const [url, root] = process.argv.slice(2);
if (url && root) {
  const executor = await RedisExecutor.connect(url, { pollMs: 500 });
  try {
    await runSmallStudy(executor, { root });
  } finally {
    await executor.close();
  }
}
