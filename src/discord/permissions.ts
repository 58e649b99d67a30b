// Who may act as the server's YouTube channel: members with Manage Server, or with the moderator
// role chosen in /server settings. Checked at run time, whatever the command's default permissions
// say: server admins can change those in Discord's settings.
import { PermissionFlagsBits, type ChatInputCommandInteraction, type Interaction } from 'discord.js';
import { UserError } from '../errors.ts';
import type { ServerSettings } from '../store/settings.ts';

export function canManageServer(interaction: Interaction): boolean {
  return (
    interaction.inGuild() && (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false)
  );
}

export function isModerator(interaction: Interaction, settings: ServerSettings): boolean {
  if (canManageServer(interaction)) return true;
  const role = settings.moderatorRoleId;
  if (!role || !interaction.inGuild()) return false;
  const roles = interaction.member.roles;
  return Array.isArray(roles) ? roles.includes(role) : roles.cache.has(role);
}

export function requireManageServer(interaction: ChatInputCommandInteraction): void {
  if (!interaction.inGuild()) throw UserError.t('error.guildOnly');
  if (!canManageServer(interaction)) throw UserError.t('error.manageServerOnly');
}

export function requireModerator(interaction: Interaction, settings: ServerSettings): void {
  if (!interaction.inGuild()) throw UserError.t('error.serverAccountGuildOnly');
  if (!isModerator(interaction, settings)) {
    throw settings.moderatorRoleId
      ? UserError.t('error.moderatorRole', { role: settings.moderatorRoleId })
      : UserError.t('error.moderatorNoRole');
  }
}
