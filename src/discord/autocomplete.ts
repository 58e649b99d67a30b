// Autocomplete answers shared by commands. Discord waits 3 seconds and cannot be deferred, so these
// answer from the catalog, which gives cached lists when YouTube is slow.
import type { AutocompleteInteraction } from 'discord.js';
import type { Context } from '../context.ts';
import { regionOf } from '../google/catalog.ts';
import { serverOwner } from '../store/settings.ts';
import { isModerator } from './permissions.ts';

/** The playlists of the chosen account (the member's, or the server's for moderators) matching what was typed. */
export async function respondPlaylists(
  interaction: AutocompleteInteraction,
  ctx: Context,
  account: 'chosen' | 'server' = 'chosen',
): Promise<void> {
  const typed = interaction.options.getFocused().toLowerCase();
  let owner = interaction.user.id;
  const server = account === 'server' || interaction.options.getString('account') === 'server';
  if (server && interaction.guildId) {
    if (!isModerator(interaction, await ctx.settings.get(interaction.guildId))) {
      await interaction.respond([]);
      return;
    }
    owner = serverOwner(interaction.guildId);
  }
  const playlists = await ctx.catalog.playlists(owner);
  await interaction.respond(
    playlists
      .filter((p) => typed === '' || p.title.toLowerCase().includes(typed) || p.id === typed)
      .slice(0, 25)
      .map((p) => ({ name: p.title.slice(0, 100) || p.id, value: p.id })),
  );
}

/** Assignable categories for the server's region, filtered by what was typed. */
export async function respondCategories(interaction: AutocompleteInteraction, ctx: Context): Promise<void> {
  const typed = interaction.options.getFocused().toLowerCase();
  const region = regionOf(
    interaction.guild?.preferredLocale ?? interaction.guildLocale ?? interaction.locale,
  );
  const categories = await ctx.catalog.categories(interaction.user.id, region);
  await interaction.respond(
    categories
      .filter((c) => typed === '' || c.title.toLowerCase().includes(typed) || c.id === typed)
      .slice(0, 25)
      .map((c) => ({ name: `${c.title} (${c.id})`, value: c.id })),
  );
}
