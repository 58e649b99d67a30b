// The `account` option: act as your own YouTube channel (default) or as the server's, which needs
// Manage Server or the moderator role (checked here, at run time).
import {
  ApplicationCommandOptionType,
  type APIApplicationCommandStringOption,
  type ChatInputCommandInteraction,
  type Interaction,
} from 'discord.js';
import type { Context } from '../context.ts';
import { UserError } from '../errors.ts';
import { serverOwner } from '../store/settings.ts';
import { isModerator, requireModerator } from './permissions.ts';

/** The `video` option every video command shares: an id or any YouTube link. */
export const VIDEO_OPTION: APIApplicationCommandStringOption = {
  type: ApplicationCommandOptionType.String,
  name: 'video',
  description: 'The video: its id or any YouTube link (youtu.be, watch, shorts, live…)',
  required: true,
  max_length: 200,
};

export const ACCOUNT_OPTION: APIApplicationCommandStringOption = {
  type: ApplicationCommandOptionType.String,
  name: 'account',
  description: "Act as your own channel (default) or the server's channel (moderators)",
  choices: [
    { name: 'mine', value: 'mine' },
    { name: 'server', value: 'server' },
  ],
};

export interface Account {
  /** The grant owner to act as: a user id, or the server's owner key. */
  readonly owner: string;
  readonly isServer: boolean;
  /** True when acting as the server's channel. */
  readonly byModerator: boolean;
}

async function serverAccount(ctx: Context, guildId: string): Promise<string> {
  const owner = serverOwner(guildId);
  const linked = await ctx.oauth.linked(owner);
  if (!linked) throw UserError.t('error.serverNotLinked');
  return owner;
}

async function chooseAccount(
  interaction: ChatInputCommandInteraction,
  ctx: Context,
  membersMayChooseServer: boolean,
): Promise<Account> {
  if (interaction.options.getString('account') !== 'server') {
    return { owner: interaction.user.id, isServer: false, byModerator: false };
  }
  if (!interaction.guildId) throw UserError.t('error.serverAccountGuildOnly');
  const settings = await ctx.settings.get(interaction.guildId);
  if (!membersMayChooseServer) requireModerator(interaction, settings);
  return {
    owner: await serverAccount(ctx, interaction.guildId),
    isServer: true,
    byModerator: isModerator(interaction, settings),
  };
}

/** The account a command acts as; `server` is refused to members who are not moderators. */
export const resolveAccount = (interaction: ChatInputCommandInteraction, ctx: Context) =>
  chooseAccount(interaction, ctx, false);

/** Like resolveAccount, but a member who is not a moderator may choose `server` (for reviewed uploads). */
export const resolveUploadAccount = (interaction: ChatInputCommandInteraction, ctx: Context) =>
  chooseAccount(interaction, ctx, true);

/** One letter for buttons' custom_ids: 'm' (the presser's own channel) or 's' (the server's). */
export const accountMarker = (account: Account) => (account.isServer ? 's' : 'm');

/** The owner a button acts as: the presser's own channel, or the server's (moderators only). */
export async function ownerFromMarker(
  interaction: Interaction,
  ctx: Context,
  marker: string | undefined,
): Promise<string> {
  if (marker !== 's') return interaction.user.id;
  if (!interaction.guildId) throw UserError.t('error.serverAccountGuildOnly');
  requireModerator(interaction, await ctx.settings.get(interaction.guildId));
  return serverAccount(ctx, interaction.guildId);
}
