// A second (third…) process on the same store, for the store's cross-process races: opens the store in
// STORE_URL, says "ready", waits for "go" on stdin, runs WORK of the same kind at once, prints the results as
// JSON and exits. WORK: add | take | increment, on record ID of collection "race", COUNT times; or charge
// (quota.charge of 1 unit, YOUTUBE_QUOTA_UNITS a day) | admit (quota.admitUpload of upload ID-<i> of member
// ID, UPLOAD_DAILY_PER_MEMBER a day): "ok" or the refusal.
import { createStore } from '../../src/store/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createQuota } from '../../src/google/quota.ts';
import { UserError } from '../../src/errors.ts';

const url = process.env['STORE_URL'] ?? '';
const work = process.env['WORK'] ?? '';
const id = process.env['ID'] ?? 'x';
const count = Number(process.env['COUNT'] ?? '1');

const store = await createStore(url, createLogger('silent'));
const race = store.collection<{ n: number; by?: string }>('race');
const quota = createQuota(store, {
  units: Number(process.env['YOUTUBE_QUOTA_UNITS'] ?? '10000'),
  inserts: 100,
  uploadsPerMember: Number(process.env['UPLOAD_DAILY_PER_MEMBER'] ?? '10'),
});
const outcome = (work: Promise<void>) =>
  work.then(
    () => 'ok',
    (error: unknown) => {
      if (error instanceof UserError) return 'refused';
      throw error;
    },
  );
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const one = async (i: number): Promise<unknown> => {
  if (work === 'add') return race.add(id, { n: i, by: store.processId });
  if (work === 'take') return (await race.take(id)) !== undefined;
  if (work === 'increment') return (await race.update(id, (cur) => ({ n: (cur?.n ?? 0) + 1 })))?.n;
  if (work === 'charge') return outcome(quota.charge({ units: 1, inserts: 0 }));
  if (work === 'admit')
    return outcome(
      quota.admitUpload({
        id: `${id}-${store.processId}-${i}`,
        owner: id,
        account: id,
        review: undefined,
        guildId: null,
      }),
    );
  throw new Error(`unknown WORK ${work}`);
};
const results = await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
process.stdout.write(`${JSON.stringify(results)}\n`);
await store.close();
