// Running the bot as several processes: DISCORD_SHARD_COUNT and DISCORD_SHARDS (which gateway shards
// this process connects) and METRICS_TOKEN (who may read /metrics). Read by src/config.ts (the only
// reader of process.env), checked here so every bad value gets one sentence.

/**
 * `auto`: one process with Discord's recommended shard count (GET /gateway/bot), every shard here.
 * Otherwise the total count every process of the bot agrees on, and the ids this process connects.
 */
export type ShardPlan =
  { readonly count: 'auto' } | { readonly count: number; readonly ids: readonly number[] };

/** The most shards a bot may be told to run (Discord recommends one per 1,000 servers). */
export const MAX_SHARDS = 100_000;

/**
 * Parses the two variables. `read` gives a variable's trimmed value (undefined when unset or empty);
 * every problem is pushed as one sentence naming the variable.
 */
export function readShards(read: (name: string) => string | undefined, problems: string[]): ShardPlan {
  const countText = read('DISCORD_SHARD_COUNT');
  const idsText = read('DISCORD_SHARDS');
  if (countText === undefined) {
    if (idsText !== undefined) {
      problems.push(
        `DISCORD_SHARDS needs DISCORD_SHARD_COUNT, the total number of shards all processes of the bot share (got DISCORD_SHARDS="${idsText}").`,
      );
    }
    return { count: 'auto' };
  }
  const count = Number(countText);
  if (!/^\d+$/.test(countText) || count < 1 || count > MAX_SHARDS) {
    problems.push(`DISCORD_SHARD_COUNT must be a whole number from 1 to ${MAX_SHARDS}, got "${countText}".`);
    return { count: 'auto' };
  }
  if (idsText === undefined) return { count, ids: Array.from({ length: count }, (_, i) => i) };
  const ids = parseShardIds(idsText, count);
  if (typeof ids === 'string') {
    problems.push(ids);
    return { count: 'auto' };
  }
  return { count, ids };
}

/** `0,2,5`, `0-3` or both (`0-3,7`): the ids, ascending, or the sentence that says what is wrong. */
function parseShardIds(text: string, count: number): number[] | string {
  const expected = `a list of shard ids like "0,2,5" or a range like "0-3"`;
  const ids = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!match) return `DISCORD_SHARDS must be ${expected}, got "${text}".`;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) return `DISCORD_SHARDS has a range that runs backwards ("${part}"): write it low-high.`;
    if (last >= count) {
      return `DISCORD_SHARDS names shard ${last}, but shard ids run from 0 to ${count - 1} with DISCORD_SHARD_COUNT=${count}.`;
    }
    for (let id = first; id <= last; id++) {
      if (ids.has(id)) return `DISCORD_SHARDS names shard ${id} twice ("${text}").`;
      ids.add(id);
    }
  }
  return [...ids].sort((a, b) => a - b);
}

/**
 * METRICS_TOKEN: when set, GET /metrics answers only requests with `Authorization: Bearer <token>`.
 * At least 16 characters, no spaces (it travels in a header).
 */
export function readMetricsToken(
  read: (name: string) => string | undefined,
  problems: string[],
): string | undefined {
  const token = read('METRICS_TOKEN');
  if (token !== undefined && !/^[\x21-\x7e]{16,256}$/.test(token)) {
    problems.push(
      'METRICS_TOKEN must be 16 to 256 characters without spaces (e.g. the output of `openssl rand -hex 24`).',
    );
    return undefined;
  }
  return token;
}
