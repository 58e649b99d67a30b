// The discord.js client, pointed at DISCORD_API_URL (the gateway URL is discovered through it), on the
// shards DISCORD_SHARD_COUNT/DISCORD_SHARDS name (default: Discord's recommended count, all here).
import { Client, Events, GatewayIntentBits, RESTEvents, Status, type Interaction } from 'discord.js';
import type { Config } from '../config.ts';
import { withLogFields, type Logger } from '../logger.ts';
import { metrics } from '../metrics.ts';

/** `/interactions/<id>/<token>/callback`: the first answer to an interaction (the token is never kept). */
const CALLBACK = /^\/interactions\/(\d+)\/[^/]+\/callback$/;

export function createClient(
  config: Config,
  logger: Logger,
  onInteraction: (i: Interaction) => Promise<void>,
): Client {
  const { shards } = config.discord;
  const client = new Client({
    // Guilds is all slash commands need: no message content, no members.
    intents: [GatewayIntentBits.Guilds],
    rest: { api: config.discord.apiUrl },
    // Never ping anyone unless a message asks for it explicitly.
    allowedMentions: { parse: [] },
    ...(shards.count === 'auto' ? { shards: 'auto' } : { shards: [...shards.ids], shardCount: shards.count }),
  });
  client.once(Events.ClientReady, (ready) => {
    logger.info(
      {
        user: ready.user.tag,
        guilds: ready.guilds.cache.size,
        shards: shardIds(client),
        shardCount: shardCount(client),
      },
      'discord ready',
    );
  });

  // When each interaction arrived, until its first answer is accepted: the acknowledgement latency.
  const arrived = new Map<string, number>();
  client.on(Events.InteractionCreate, (interaction) => {
    arrived.set(interaction.id, performance.now());
    // Discord refuses a first answer after 3 s: an entry older than that is never answered.
    setTimeout(() => arrived.delete(interaction.id), 5000).unref();
    // Every line logged while the interaction is handled names the shard it came in on.
    void withLogFields({ shard: shardOf(client, interaction.guildId) }, () => onInteraction(interaction));
  });
  client.rest.on(RESTEvents.Response, (request, response) => {
    if (response.status >= 400) metrics.apiError('discord', response.status);
    const id = CALLBACK.exec(request.path)?.[1];
    const started = id === undefined ? undefined : arrived.get(id);
    if (id !== undefined && started !== undefined && response.status < 300) {
      arrived.delete(id);
      metrics.interactionAcknowledged((performance.now() - started) / 1000);
    }
  });
  client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
  client.on(Events.Warn, (message) => logger.warn({ message }, 'discord client warning'));
  client.on(Events.ShardReady, (shard) => logger.info({ shard }, 'gateway shard ready'));
  client.on(Events.ShardDisconnect, (event, shard) =>
    logger.warn({ closeCode: event.code, shard }, 'gateway disconnected'),
  );
  return client;
}

/** The shards this process connects (known once the client logged in; `auto` resolved by then). */
function shardIds(client: Client): number[] {
  const ids: unknown = client.options.shards;
  if (typeof ids === 'number') return [ids];
  return Array.isArray(ids) ? ids.filter((id): id is number => typeof id === 'number') : [];
}

function shardCount(client: Client): number {
  return client.options.shardCount ?? 1;
}

/** Discord's rule: a guild's events come on shard (guild_id >> 22) % shard_count; DMs on shard 0. */
export function shardOf(client: Client, guildId: string | null): number {
  if (guildId === null) return 0;
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount(client)));
}

/** 'ready', 'connecting', 'reconnecting', … for /healthz. */
export function gatewayStatus(client: Client): string {
  return Status[client.ws.status]?.toLowerCase() ?? 'unknown';
}

/** This process's shards for /healthz: the count every process shares, and each shard's own status. */
export function shardStatus(client: Client): { count: number; ids: { id: number; status: string }[] } {
  return {
    count: shardCount(client),
    ids: shardIds(client).map((id) => {
      const shard = client.ws.shards.get(id);
      return { id, status: shard ? (Status[shard.status]?.toLowerCase() ?? 'unknown') : 'idle' };
    }),
  };
}
