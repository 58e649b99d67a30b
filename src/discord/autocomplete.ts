// Autocomplete answers shared by commands. Discord waits 3 seconds and cannot be deferred, so these
// answer from the catalog, which gives cached lists when YouTube is slow.
import type { AutocompleteInteraction } from 'discord.js';
import type { Context } from '../context.ts';
import { regionOf } from '../google/catalog.ts';

/** The member's playlists whose title contains what was typed (at most 25). */
export async function respondPlaylists(interaction: AutocompleteInteraction, ctx: Context): Promise<void> {
  const typed = interaction.options.getFocused().toLowerCase();
  const playlists = await ctx.catalog.playlists(interaction.user.id);
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
