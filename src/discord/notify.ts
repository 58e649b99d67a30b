// Edits an interaction's original reply through its token, outside the interaction handler (for
// example when the OAuth callback arrives). Discord codes that mean the token is dead end the edit
// quietly: retrying would only count toward Discord's invalid-request limit.
import { DiscordAPIError, Routes, type Client } from 'discord.js';
import type { Logger } from '../logger.ts';
import type { ReplyTarget } from '../google/oauth.ts';

const DEAD_TOKEN = new Set([10008, 10015, 10062, 50027]);

export async function editOriginalReply(
  client: Client,
  logger: Logger,
  target: ReplyTarget,
  content: string,
): Promise<boolean> {
  try {
    await client.rest.patch(Routes.webhookMessage(target.applicationId, target.token, '@original'), {
      body: { content, components: [], allowed_mentions: { parse: [] } },
      auth: false,
    });
    return true;
  } catch (error) {
    const code = error instanceof DiscordAPIError ? error.code : undefined;
    logger.info(
      { discordCode: code, dead: typeof code === 'number' && DEAD_TOKEN.has(code) },
      'reply edit failed',
    );
    return false;
  }
}
