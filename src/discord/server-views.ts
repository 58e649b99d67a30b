// How server settings and quota use read in Discord.
import { UserError } from '../errors.ts';
import type { QuotaUsage } from '../google/quota.ts';
import type { ServerSettings } from '../store/settings.ts';

export const TEMPLATE_FIELDS = ['{title}', '{url}', '{uploader}', '{channel}', '{role}'] as const;

/** Checks an announcement template: only known placeholders, within Discord's limits. */
export function validateTemplate(template: string): string {
  const unknown = [...template.matchAll(/\{[^{}]*\}/g)]
    .map((m) => m[0])
    .filter((f) => !(TEMPLATE_FIELDS as readonly string[]).includes(f));
  if (unknown.length > 0) {
    throw new UserError(
      `The template uses ${unknown.join(', ')}, which I do not know. Use ${TEMPLATE_FIELDS.join(' ')}.`,
    );
  }
  if (template.trim() === '') throw new UserError('The template is empty.');
  return template.trim();
}

export function formatUsage(usage: QuotaUsage): string {
  const percent = (used: number, limit: number) => `${Math.round((used / limit) * 100)}%`;
  return (
    `${usage.units.toLocaleString('en-US')} of ${usage.limits.units.toLocaleString('en-US')} units (${percent(usage.units, usage.limits.units)}), ` +
    `${usage.inserts} of ${usage.limits.inserts} uploads — Pacific day ${usage.day}`
  );
}

export function renderSettings(s: ServerSettings): string {
  const channel = (id: string | undefined) => (id ? `<#${id}>` : 'not set');
  const role = (id: string | undefined) => (id ? `<@&${id}>` : 'not set');
  const yes = (on: boolean) => (on ? 'yes' : 'no');
  return [
    `• Default privacy: **${s.defaultPrivacy}** · category: **${s.defaultCategory}** · playlist: ${s.defaultPlaylist ?? 'none'}`,
    `• Moderator role: ${role(s.moderatorRoleId)}`,
    `• Review channel: ${channel(s.reviewChannelId)}`,
    `• Announcements: ${channel(s.announceChannelId)} · ping: ${role(s.announceRoleId)} · Shorts: ${yes(s.announceShorts)} · live streams: ${yes(s.announceLive)}`,
    `• Also announced: members' own uploads: ${yes(s.announceMembers)}${s.announceMembers ? ` (ping: ${yes(s.announceMembersPing)})` : ''} · unlisted videos: ${yes(s.announceUnlisted)}`,
    `• Template: ${s.template}`,
  ].join('\n');
}
