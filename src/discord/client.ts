// The discord.js client, pointed at DISCORD_API_URL (the gateway URL is discovered through it).
import { Client, Events, GatewayIntentBits, Status, type Interaction } from 'discord.js';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

export function createClient(
  config: Config,
  logger: Logger,
  onInteraction: (i: Interaction) => Promise<void>,
): Client {
  const client = new Client({
    // Guilds is all slash commands need: no message content, no members.
    intents: [GatewayIntentBits.Guilds],
    rest: { api: config.discord.apiUrl },
    // Never ping anyone unless a message asks for it explicitly.
    allowedMentions: { parse: [] },
  });
  client.once(Events.ClientReady, (ready) => {
    logger.info({ user: ready.user.tag, guilds: ready.guilds.cache.size }, 'discord ready');
  });
  client.on(Events.InteractionCreate, (interaction) => {
    void onInteraction(interaction);
  });
  client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
  client.on(Events.Warn, (message) => logger.warn({ message }, 'discord client warning'));
  client.on(Events.ShardDisconnect, (event, shardId) =>
    logger.warn({ closeCode: event.code, shardId }, 'gateway disconnected'),
  );
  return client;
}

/** 'ready', 'connecting', 'reconnecting', … for /healthz. */
export function gatewayStatus(client: Client): string {
  return Status[client.ws.status]?.toLowerCase() ?? 'unknown';
}
