// Composition root: config → store → http → discord → login; a graceful stop on SIGINT/SIGTERM.
import { ConfigError, loadConfig, loadDotEnv } from './config.ts';
import { createLogger } from './logger.ts';
import { createStore } from './store/index.ts';
import { startHttpServer } from './http/server.ts';
import { createClient, gatewayStatus } from './discord/client.ts';
import { createDispatcher } from './discord/dispatcher.ts';
import { loadCommands } from './discord/loader.ts';
import type { Context } from './context.ts';
import { grantRepository } from './store/grants.ts';
import { createOAuth } from './google/oauth.ts';
import { oauthRoutes } from './http/oauth-routes.ts';
import { editOriginalReply } from './discord/notify.ts';
import { linkReplyText } from './discord/link-messages.ts';

async function main(): Promise<void> {
  let config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const logger = createLogger(config.logLevel);
  const store = await createStore(config.storeUrl, logger);
  const registry = loadCommands();
  const oauth = createOAuth(config, store, grantRepository(store, config.tokenEncryptionKey), logger);
  const ctx: Context = { config, store, logger, oauth, commands: registry.all };
  const { dispatch } = createDispatcher(registry, ctx);
  const client = createClient(config, logger, dispatch);
  const routes = oauthRoutes(
    oauth,
    async (outcome) => {
      const text = linkReplyText(outcome);
      if ('reply' in outcome && outcome.reply && text)
        await editOriginalReply(client, logger, outcome.reply, text);
    },
    logger,
  );
  const health = { gateway: () => gatewayStatus(client), store: () => store.ping() };
  const http = await startHttpServer(config.httpPort, health, logger, routes);
  logger.info({ port: http.port(), publicUrl: config.publicUrl }, 'http listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Work in flight keeps its state in the store and resumes on the next start.
    await client.destroy();
    await http.close();
    await store.close();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.once('SIGINT', (s) => void stop(s));
  process.once('SIGTERM', (s) => void stop(s));

  try {
    await client.login(config.discord.token);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    logger.fatal(
      { errorCode: code },
      code === 'TokenInvalid'
        ? 'Discord refused DISCORD_TOKEN: copy the bot token again from the Developer Portal (Bot → Reset Token).'
        : 'could not connect to Discord',
    );
    await http.close();
    await store.close();
    process.exit(1);
  }
}

await main();
