// Per-server settings: upload defaults, who moderates, where reviews and announcements go.
import type { Store } from './index.ts';
import { DEFAULT_CATEGORY, type Privacy } from '../uploads/metadata.ts';

export interface ServerSettings {
  /** Privacy for uploads when the member gives none (YouTube's reference default: public). */
  readonly defaultPrivacy: Privacy;
  readonly defaultCategory: string;
  readonly defaultPlaylist: string | undefined;
  /** Members with this role may act as the server's channel, besides those with Manage Server. */
  readonly moderatorRoleId: string | undefined;
  /** Where review cards for members' uploads to the server channel are posted. */
  readonly reviewChannelId: string | undefined;
  readonly announceChannelId: string | undefined;
  /** Pinged by announcements, when set. */
  readonly announceRoleId: string | undefined;
  /** Announcement text with {title} {url} {uploader} {channel}. */
  readonly template: string;
  readonly announceShorts: boolean;
  readonly announceLive: boolean;
  /**
   * Members' own uploads (to their own channels, through the bot) are announced too. Off by default: only what
   * is uploaded to the server's own channel is announced, so a member cannot make the bot post for them.
   */
  readonly announceMembers: boolean;
  /** Announcements of members' own uploads ping the role as well (off: they are posted without the ping). */
  readonly announceMembersPing: boolean;
  /** Unlisted videos are announced too (off by default: an unlisted video was meant to be shared by link). */
  readonly announceUnlisted: boolean;
  /**
   * When announcements began (ms): set when the announcement channel is chosen. A video the server channel's feed
   * shows as published after this (and after the channel was linked) is announced even at the first look.
   */
  readonly announceSince: number | undefined;
}

export const DEFAULT_TEMPLATE = '📺 New video from {uploader}: **{title}** {url}';

export const DEFAULT_SETTINGS: ServerSettings = {
  defaultPrivacy: 'public',
  defaultCategory: DEFAULT_CATEGORY,
  defaultPlaylist: undefined,
  moderatorRoleId: undefined,
  reviewChannelId: undefined,
  announceChannelId: undefined,
  announceRoleId: undefined,
  template: DEFAULT_TEMPLATE,
  announceShorts: true,
  announceLive: true,
  announceMembers: false,
  announceMembersPing: false,
  announceUnlisted: false,
  announceSince: undefined,
};

/** A change: a value sets the field, null clears it back to the default. */
export type SettingsPatch = { -readonly [K in keyof ServerSettings]?: ServerSettings[K] | null };

export function settingsRepository(store: Store, now: () => number = Date.now) {
  const records = store.collection<Partial<ServerSettings>>('settings');
  return {
    /** The server's settings, defaults filled in. */
    async get(guildId: string | null): Promise<ServerSettings> {
      if (guildId === null) return DEFAULT_SETTINGS;
      return { ...DEFAULT_SETTINGS, ...(await records.get(guildId)) };
    },
    /**
     * Applies the given fields (undefined leaves a field as it is; null clears it), as one atomic update of
     * the store: two changes at once, in any processes, both land.
     */
    async update(guildId: string, patch: SettingsPatch): Promise<ServerSettings> {
      const at = now();
      const stored = await records.update(guildId, (current) => {
        const next: Record<string, unknown> = { ...current };
        const wasOn = typeof next['announceChannelId'] === 'string';
        for (const [key, value] of Object.entries(patch)) {
          if (value === undefined) continue;
          if (value === null) delete next[key];
          else next[key] = value;
        }
        // Announcements switched on (not moved to another channel): from now on, what is published is new.
        const isOn = typeof next['announceChannelId'] === 'string';
        if (isOn && (!wasOn || next['announceSince'] === undefined) && patch.announceSince === undefined)
          next['announceSince'] = at;
        if (!isOn) delete next['announceSince'];
        return next;
      });
      return { ...DEFAULT_SETTINGS, ...stored };
    },
  };
}

export type SettingsRepository = ReturnType<typeof settingsRepository>;

/** The grant owner of a server's own YouTube channel (members' grants are keyed by user id). */
export const serverOwner = (guildId: string) => `guild:${guildId}`;
