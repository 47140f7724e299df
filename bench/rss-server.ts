/**
 * Tobira alone in its own process, for `npm run bench -- --rss-signins N` (bench/run.ts): the parent
 * passes the configuration in the environment and asks, over IPC, for this process's memory; the
 * answer is measured after a full garbage collection (the parent starts this with --expose-gc).
 * Nothing else runs here, so the RSS is the server's own.
 */
import fs from 'node:fs';
import { start } from '../src/main.ts';

const running = await start(process.env);
const kb = (file: string, field: string) => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(file, 'utf8'));
  return m ? Number(m[1]) * 1024 : undefined;
};
process.on('message', async (msg: { memory?: true; stop?: true }) => {
  if (msg.memory) {
    global.gc?.();
    await new Promise((r) => setImmediate(r));
    global.gc?.();
    const m = process.memoryUsage();
    const heap = (await import('node:v8')).getHeapStatistics();
    process.send?.({
      memory: {
        ...m,
        peakRss: kb('/proc/self/status', 'VmHWM'),
        // RSS = anonymous memory (heaps, stacks) + file-backed pages (mostly the node binary's code)
        anonymous: kb('/proc/self/smaps_rollup', 'Anonymous'),
        mallocedMemory: heap.malloced_memory,
      },
    });
  }
  if (msg.stop) {
    await running.stop();
    process.exit(0);
  }
});
process.send?.({ listening: new URL(running.url).port });
