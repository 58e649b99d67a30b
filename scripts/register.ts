// `npm run register`: bulk-overwrites the slash commands with what the bot serves.
// With DISCORD_GUILD_ID they go to that server only (instant, for development); otherwise global.
import { REST, Routes } from 'discord.js';
import { ConfigError, loadConfig, loadDotEnv } from '../src/config.ts';
import { loadCommands } from '../src/discord/loader.ts';

try {
  loadDotEnv();
  const { discord } = loadConfig(process.env, 'discord');
  const body = loadCommands().definitions();
  const rest = new REST({ api: discord.apiUrl }).setToken(discord.token);
  const route = discord.guildId
    ? Routes.applicationGuildCommands(discord.applicationId, discord.guildId)
    : Routes.applicationCommands(discord.applicationId);
  const saved = (await rest.put(route, { body })) as { name: string }[];
  const where = discord.guildId
    ? `server ${discord.guildId}`
    : 'every server (global; may take up to an hour to show)';
  console.log(`Registered ${saved.length} commands for ${where}: ${saved.map((c) => c.name).join(', ')}`);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(`Registration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
