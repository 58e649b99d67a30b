// How server settings and quota use read in Discord: in the language of whoever asked (`locale`, the admin's
// or moderator's Discord locale). Values stay as they are: channel and role mentions, ids, the template.
import { UserError } from '../errors.ts';
import { requireHttpsLinks } from '../google/refs.ts';
import type { QuotaUsage } from '../google/quota.ts';
import { serverLocale, type ServerSettings } from '../store/settings.ts';
import { languageOf, t } from '../i18n/index.ts';
import { formatNumber } from '../i18n/format.ts';

type Locale = string | null | undefined;

export const TEMPLATE_FIELDS = ['{title}', '{url}', '{uploader}', '{channel}', '{role}'] as const;

/** Checks an announcement template: only known placeholders, within Discord's limits. */
export function validateTemplate(template: string): string {
  const unknown = [...template.matchAll(/\{[^{}]*\}/g)]
    .map((m) => m[0])
    .filter((f) => !(TEMPLATE_FIELDS as readonly string[]).includes(f));
  if (unknown.length > 0) {
    throw UserError.t('error.templateUnknown', {
      fields: unknown.join(', '),
      known: TEMPLATE_FIELDS.join(' '),
    });
  }
  if (template.trim() === '') throw UserError.t('error.templateEmpty');
  return requireHttpsLinks(template.trim(), 'error.templateInsecureLink');
}

export function formatUsage(usage: QuotaUsage, locale?: Locale): string {
  const percent = new Intl.NumberFormat(languageOf(locale), { style: 'percent' }).format(
    Math.round((usage.units / usage.limits.units) * 100) / 100,
  );
  return t(locale, 'server.quotaUsage', {
    units: formatNumber(locale, usage.units),
    unitLimit: formatNumber(locale, usage.limits.units),
    percent,
    inserts: formatNumber(locale, usage.inserts),
    insertLimit: formatNumber(locale, usage.limits.inserts),
    day: usage.day,
  });
}

/** Discord's limits for what these views show. */
export const DISCORD_LIMITS = { content: 2000, fieldValue: 1024, fieldName: 256, embed: 6000 } as const;
/** The longest template shown: the option's own limit. A longer stored one is shortened on screen only. */
const TEMPLATE_SHOWN = 1000;
/** Said under a view whose long values were shortened to fit. */
export const shortenedNote = (locale?: Locale): string => t(locale, 'settings.shortened');

/** Cuts to at most `max` characters (code points), ending in … when cut. */
export function shorten(text: string, max: number): { text: string; cut: boolean } {
  const chars = [...text];
  return chars.length <= max
    ? { text, cut: false }
    : { text: `${chars.slice(0, Math.max(0, max - 1)).join('')}…`, cut: true };
}

export interface SettingsView {
  /** One line per group of settings, the template excepted. */
  readonly lines: string[];
  /** The template as shown (perhaps shortened). */
  readonly template: string;
  /** True when a value was shortened to fit. */
  readonly shortened: boolean;
}

export function settingsView(s: ServerSettings, locale?: Locale, templateMax = TEMPLATE_SHOWN): SettingsView {
  const notSet = t(locale, 'settings.notSet');
  const channel = (id: string | undefined) => (id ? `<#${id}>` : notSet);
  const role = (id: string | undefined) => (id ? `<@&${id}>` : notSet);
  const yes = (on: boolean) => t(locale, on ? 'settings.yes' : 'settings.no');
  const playlist = shorten(s.defaultPlaylist ?? t(locale, 'settings.none'), 100);
  const template = shorten(s.template, templateMax);
  const also = {
    members: yes(s.announceMembers),
    ping: yes(s.announceMembersPing),
    unlisted: yes(s.announceUnlisted),
  };
  return {
    lines: [
      t(locale, 'settings.defaults', {
        privacy: t(locale, `privacy.${s.defaultPrivacy}`),
        category: shorten(s.defaultCategory, 20).text,
        playlist: playlist.text,
      }),
      t(locale, 'settings.moderatorRole', { value: role(s.moderatorRoleId) }),
      t(locale, 'settings.reviewChannel', { value: channel(s.reviewChannelId) }),
      t(locale, 'settings.announcements', {
        channel: channel(s.announceChannelId),
        ping: role(s.announceRoleId),
        shorts: yes(s.announceShorts),
        live: yes(s.announceLive),
      }),
      t(locale, s.announceMembers ? 'settings.alsoAnnouncedPing' : 'settings.alsoAnnounced', also),
      languageLine(s, locale),
    ],
    template: template.text,
    shortened: template.cut || playlist.cut,
  };
}

/** Which language the server's public messages speak, by its own name, and whether it is the server's own. */
function languageLine(s: ServerSettings, locale: Locale): string {
  const name = t(serverLocale(s), 'language.name');
  return t(locale, 'settings.language', {
    language: s.language ? name : t(locale, 'settings.languageDefault', { language: name }),
  });
}

/** The settings as one message text (after `prefix`), within Discord's 2,000 characters; says when shortened. */
export function renderSettings(s: ServerSettings, locale?: Locale, prefix = ''): string {
  const view = settingsView(s, locale);
  const text = `${prefix}${[...view.lines, t(locale, 'settings.template', { template: view.template })].join('\n')}`;
  const note = `\n_${shortenedNote(locale)}_`;
  const fitted = shorten(text, DISCORD_LIMITS.content - [...note].length);
  return view.shortened || fitted.cut ? `${fitted.text}${note}` : text;
}

export interface EmbedField {
  readonly name: string;
  readonly value: string;
}

/**
 * Fields within Discord's embed limits: each value at most 1,024 characters, names 256, and the whole embed
 * (title, fields, footer) 6,000; values are shortened, longest first. `shortened` says whether anything was cut.
 */
export function fitFields(
  title: string,
  fields: readonly EmbedField[],
  reserve = [...shortenedNote()].length,
): { fields: EmbedField[]; shortened: boolean } {
  let shortened = false;
  const out = fields.map((f) => {
    const name = shorten(f.name, DISCORD_LIMITS.fieldName);
    const value = shorten(f.value || '—', DISCORD_LIMITS.fieldValue);
    shortened ||= name.cut || value.cut;
    return { name: name.text, value: value.text };
  });
  const size = () =>
    [...title].length + reserve + out.reduce((n, f) => n + [...f.name].length + [...f.value].length, 0);
  while (size() > DISCORD_LIMITS.embed) {
    const longest = out.reduce((a, b) => ([...b.value].length > [...a.value].length ? b : a));
    if ([...longest.value].length <= 1) break;
    const over = size() - DISCORD_LIMITS.embed;
    longest.value = shorten(longest.value, Math.max(1, [...longest.value].length - over)).text;
    shortened = true;
  }
  return { fields: out, shortened };
}
