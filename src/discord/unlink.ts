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
import { confirmRow, parseConfirm } from './confirm.ts';
import { PERMISSIONS_URL } from './link-messages.ts';

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
  readonly none: string;
  /** "Unlinked **X** from the server" etc. */
  readonly unlinked: (title: string) => string;
}

const EXPIRED = (again: string) => `These buttons expired — nothing was unlinked. Run ${again} again.`;

/** How a linked owner is named to the member reading the warning. */
function describe(owner: string, interaction: Interaction): string {
  if (owner.startsWith(GUILD_PREFIX)) {
    const guildId = owner.slice(GUILD_PREFIX.length);
    if (guildId === interaction.guildId) return "this server's channel (`/server link`)";
    const name = interaction.client.guilds.cache.get(guildId)?.name;
    return `the server channel of ${name ? `**${escapeMarkdown(name)}**` : `another server (${guildId})`}`;
  }
  return owner === interaction.user.id
    ? 'your own channel (`/link`)'
    : `<@${owner}>'s own channel (\`/link\`)`;
}

const list = (items: string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;

function outcome(
  target: UnlinkTarget,
  interaction: Interaction,
  result: { channel: { title: string }; revoked: boolean; ended: string[] },
): string {
  const title = escapeMarkdown(result.channel.title);
  const also =
    result.ended.length === 0
      ? ''
      : ` The same Google account was also linked as ${list(result.ended.map((o) => describe(o, interaction)))}: that link ended too.`;
  return result.revoked
    ? `${target.unlinked(title)}. Google confirmed the bot's access is revoked.${also}`
    : `${target.unlinked(title)} here, but Google did not confirm the revocation: remove the bot's access at ${PERMISSIONS_URL}.${also}`;
}

/** Runs the command (already deferred privately): unlinks at once, or warns first when another link would end. */
export async function startUnlink(
  interaction: ChatInputCommandInteraction,
  ctx: Context,
  target: UnlinkTarget,
): Promise<void> {
  const linked = await ctx.oauth.linked(target.owner);
  if (linked === undefined) {
    await interaction.editReply({ content: target.none });
    return;
  }
  const others = await ctx.oauth.sharing(target.owner, target.candidates);
  if (others.length === 0) {
    const result = await ctx.oauth.unlink(target.owner);
    await interaction.editReply({
      content: result ? outcome(target, interaction, result) : target.none,
      allowedMentions: { parse: [] },
    });
    return;
  }
  await interaction.editReply({
    content:
      `**${escapeMarkdown(linked.channel.title)}** is also linked as ${list(others.map((o) => describe(o, interaction)))}. ` +
      'Google revokes the whole sign-in, so unlinking it here ends that link too; it would have to be linked again. ' +
      'Unlink both? The buttons work for 60 seconds and only for you.',
    components: [
      confirmRow({
        command: target.command,
        action: 'unlink',
        subject: linked.channel.id,
        requester: interaction.user.id,
        label: others.length === 1 ? 'Unlink both' : 'Unlink all',
        now: interaction.createdTimestamp,
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
  if (press?.action !== 'unlink') {
    await interaction.update({ content: EXPIRED(target.again), components: [] });
    return;
  }
  if (interaction.user.id !== press.requester) {
    await interaction.reply({
      content: `Only the member who ran ${target.again} can answer this. Nothing was unlinked.`,
      flags: MessageFlags.Ephemeral,
    });
    return;
  }
  if (press.expired) {
    await interaction.update({ content: EXPIRED(target.again), components: [] });
    return;
  }
  if (!press.confirmed) {
    await interaction.update({ content: 'Nothing was unlinked.', components: [] });
    return;
  }
  await interaction.deferUpdate();
  const linked = await ctx.oauth.linked(target.owner);
  if (linked?.channel.id !== press.subject) {
    await interaction.editReply({
      content: `The link changed since the warning, so nothing was unlinked. Run ${target.again} again.`,
      components: [],
    });
    return;
  }
  const others = await ctx.oauth.sharing(target.owner, target.candidates);
  const result = await ctx.oauth.unlink(target.owner, others);
  await interaction.editReply({
    content: result ? outcome(target, interaction, result) : target.none,
    components: [],
    allowedMentions: { parse: [] },
  });
}
