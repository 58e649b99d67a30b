// /unlink and /server unlink. Google revokes a whole grant: when the same Google account (the same
// YouTube channel) is linked both as a member's and as a server's channel, unlinking one ends the
// other too. Then the bot first warns, privately, naming the other link, and asks Confirm/Cancel.
import {
  escapeMarkdown,
  MessageFlags,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
} from 'discord.js';
import type { Context } from '../context.ts';
import { languageOf, t, type Values } from '../i18n/index.ts';
import { confirmRow, parseConfirm } from './confirm.ts';

const GUILD_PREFIX = 'guild:';

/** Whose link is being unlinked: the command to run again, and how its text names the owner. */
export interface UnlinkTarget {
  /** The command module's name (buttons route back to it). */
  readonly command: 'unlink' | 'server';
  /** `/unlink` or `/server unlink`, as shown to the member. */
  readonly again: string;
  /** The grant owner: the member's id or `guild:<id>`. */
  readonly owner: string;
  /**
   * Owners to check besides the store's index (links made before it existed): the server's link for
   * /unlink, the admin's own link for /server unlink.
   */
  readonly candidates: readonly string[];
}

/** The text `key` for the member who pressed or ran the command, in their language (interaction.locale). */
const say = (interaction: Interaction, key: string, values: Values = {}) =>
  t(interaction.locale, key, values);

/** "Nothing linked": the member's own link (/unlink) or the server's (/server unlink). */
const none = (target: UnlinkTarget, interaction: Interaction) =>
  say(interaction, target.command === 'server' ? 'link.unlink.serverNone' : 'link.unlink.none');

/** How a linked owner is named to the member reading the warning. */
function describe(owner: string, interaction: Interaction): string {
  if (owner.startsWith(GUILD_PREFIX)) {
    const guildId = owner.slice(GUILD_PREFIX.length);
    if (guildId === interaction.guildId) return say(interaction, 'link.unlink.thisServer');
    const name = interaction.client.guilds.cache.get(guildId)?.name;
    return name
      ? say(interaction, 'link.unlink.namedServer', { server: escapeMarkdown(name) })
      : say(interaction, 'link.unlink.otherServer', { server: guildId });
  }
  return owner === interaction.user.id
    ? say(interaction, 'link.unlink.yourOwn')
    : say(interaction, 'link.unlink.memberOwn', { member: `<@${owner}>` });
}

/** "a, b and c" as the member's language joins a list (English without the serial comma, as always). */
function list(interaction: Interaction, items: string[]): string {
  const language = languageOf(interaction.locale);
  return new Intl.ListFormat(language === 'en' ? 'en-GB' : language, { type: 'conjunction' }).format(items);
}

function outcome(
  target: UnlinkTarget,
  interaction: Interaction,
  result: { channel: { title: string }; revoked: boolean; ended: string[] },
): string {
  const server = target.command === 'server';
  const channel = escapeMarkdown(result.channel.title);
  const also =
    result.ended.length === 0
      ? ''
      : say(interaction, 'link.unlink.alsoEnded', {
          links: list(
            interaction,
            result.ended.map((o) => describe(o, interaction)),
          ),
        });
  const revoked = server ? 'link.unlink.serverRevoked' : 'link.unlink.revoked';
  const unconfirmed = server ? 'link.unlink.serverUnconfirmed' : 'link.unlink.unconfirmed';
  return `${say(interaction, result.revoked ? revoked : unconfirmed, { channel })}${also}`;
}

/** Runs the command (already deferred privately): unlinks at once, or warns first when another link would end. */
export async function startUnlink(
  interaction: ChatInputCommandInteraction,
  ctx: Context,
  target: UnlinkTarget,
): Promise<void> {
  const linked = await ctx.oauth.linked(target.owner);
  if (linked === undefined) {
    await interaction.editReply({ content: none(target, interaction) });
    return;
  }
  const others = await ctx.oauth.sharing(target.owner, target.candidates);
  if (others.length === 0) {
    const result = await ctx.oauth.unlink(target.owner);
    await interaction.editReply({
      content: result ? outcome(target, interaction, result) : none(target, interaction),
      allowedMentions: { parse: [] },
    });
    return;
  }
  await interaction.editReply({
    content: say(interaction, 'link.unlink.warning', {
      channel: escapeMarkdown(linked.channel.title),
      links: list(
        interaction,
        others.map((o) => describe(o, interaction)),
      ),
    }),
    components: [
      confirmRow({
        command: target.command,
        action: 'unlink',
        subject: linked.channel.id,
        requester: interaction.user.id,
        label: say(interaction, others.length === 1 ? 'link.unlink.bothButton' : 'link.unlink.allButton'),
        now: interaction.createdTimestamp,
        locale: interaction.locale,
      }),
    ],
    allowedMentions: { parse: [] },
  });
}

/** True when `args` are an unlink confirmation's (a command module with other buttons asks first). */
export function isUnlinkPress(args: readonly string[]): boolean {
  return parseConfirm(args)?.action === 'unlink';
}

/**
 * Answers Confirm or Cancel on the warning. Confirm unlinks the owner and every other owner still
 * linked to the same channel (looked up again now); Cancel changes nothing.
 */
export async function answerUnlinkPress(
  interaction: ButtonInteraction,
  ctx: Context,
  args: readonly string[],
  target: UnlinkTarget,
): Promise<void> {
  const press = parseConfirm(args, interaction.createdTimestamp);
  const expired = () => say(interaction, 'link.unlink.expired', { command: target.again });
  if (press?.action !== 'unlink') {
    await interaction.update({ content: expired(), components: [] });
    return;
  }
  if (interaction.user.id !== press.requester) {
    await interaction.reply({
      content: say(interaction, 'link.unlink.notYours', { command: target.again }),
      flags: MessageFlags.Ephemeral,
    });
    return;
  }
  if (press.expired) {
    await interaction.update({ content: expired(), components: [] });
    return;
  }
  if (!press.confirmed) {
    await interaction.update({ content: say(interaction, 'link.unlink.cancelled'), components: [] });
    return;
  }
  await interaction.deferUpdate();
  const linked = await ctx.oauth.linked(target.owner);
  if (linked?.channel.id !== press.subject) {
    await interaction.editReply({
      content: say(interaction, 'link.unlink.changed', { command: target.again }),
      components: [],
    });
    return;
  }
  const others = await ctx.oauth.sharing(target.owner, target.candidates);
  const result = await ctx.oauth.unlink(target.owner, others);
  await interaction.editReply({
    content: result ? outcome(target, interaction, result) : none(target, interaction),
    components: [],
    allowedMentions: { parse: [] },
  });
}
