// Entry point: read the configuration, start the app, stop gracefully on SIGINT/SIGTERM.
import { ConfigError, hideCredentials, loadConfig, loadDotEnv } from './config.ts';
import { createApp } from './app.ts';

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

  let app;
  try {
    app = await createApp(config);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `The bot cannot start: HTTP_PORT ${config.httpPort} is already in use by another program. Stop it or choose another port.\n`
        : `The bot cannot start: ${hideCredentials(error instanceof Error ? error.message : String(error))}\n`,
    );
    process.exit(1);
  }
  const { logger } = app;
  // Key ids only (never the key): they tell which key sealed a record that no longer opens.
  logger.info(
    {
      keyId: config.tokenEncryptionKey.currentId,
      previousKeyId: config.tokenEncryptionKey.previousId,
      keySource: config.tokenKeySource,
    },
    'token encryption key',
  );
  for (const notice of config.notices) logger.warn(notice);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Uploads in flight are handed back to the shared queue at the byte YouTube kept (another process,
    // or the next start, continues them); interactions in flight finish. Within 10 s, whatever hangs.
    const deadline = setTimeout(() => {
      logger.error(
        'stopping took longer than 10 seconds; exiting anyway (unfinished work resumes from the store)',
      );
      logger.flush();
      process.exit(1);
    }, 9_500);
    deadline.unref();
    try {
      await app.stop();
    } catch (error) {
      logger.error({ err: error }, 'stopping failed');
      logger.flush();
      process.exit(1);
    }
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.once('SIGINT', (s) => void stop(s));
  process.once('SIGTERM', (s) => void stop(s));

  try {
    await app.start();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    logger.fatal(
      { errorCode: code },
      code === 'TokenInvalid'
        ? 'Discord refused DISCORD_TOKEN: copy the bot token again from the Developer Portal (Bot → Reset Token).'
        : 'could not connect to Discord',
    );
    await app.stop();
    process.exit(1);
  }
}

await main();
