// Races across processes: runs test/support/store-worker.ts in other processes on the same store, started
// together, and gathers what each call answered.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './bot.ts';

export type Work = 'add' | 'take' | 'increment' | 'charge' | 'admit';

/** Runs WORK COUNT times at once in another process on the same store (test/support/store-worker.ts). */
export function worker(url: string, work: Work, id: string, count: number, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(ROOT, 'test/support/store-worker.ts')], {
    env: { PATH: process.env['PATH'], STORE_URL: url, WORK: work, ID: id, COUNT: String(count), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => (out.startsWith('ready\n') ? resolve() : undefined);
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready: ${err}`)));
  });
  const results = new Promise<unknown[]>((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.split('\n')[1] ?? '') as unknown[])
        : reject(new Error(`worker failed (${code}): ${err}`)),
    ),
  );
  return { ready, go: () => child.stdin.end('go\n'), results };
}

/** Two other processes run the same work at the same moment; their results, together. */
export async function twoProcesses(
  url: string,
  work: Work,
  id: string,
  count: number,
  env: Record<string, string> = {},
) {
  const workers = [worker(url, work, id, count, env), worker(url, work, id, count, env)];
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.go();
  return (await Promise.all(workers.map((w) => w.results))).flat();
}
