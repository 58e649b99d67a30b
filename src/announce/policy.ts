// What a server announces (its choice, from its settings) and since when. Plain functions, no I/O.
//
// By default only public videos on the server's own channel: otherwise any member could make the bot ping a role
// and post a thumbnail of their choosing. Members' own uploads with announceMembers (the role pinged only with
// announceMembersPing), unlisted videos with announceUnlisted.
import type { ServerSettings } from '../store/settings.ts';

/** Whether a video may be announced in a server, and whether the role is pinged. */
export type Verdict = { announce: true; ping: boolean } | { announce: false; why: string };

export function verdict(
  settings: ServerSettings,
  video: { onServerChannel: boolean; privacy: string | undefined },
): Verdict {
  if (!video.onServerChannel && !settings.announceMembers)
    return { announce: false, why: "a member's own upload (announce_members is off)" };
  if (video.privacy === 'unlisted' && !settings.announceUnlisted)
    return { announce: false, why: 'unlisted (announce_unlisted is off)' };
  return { announce: true, ping: video.onServerChannel || settings.announceMembersPing };
}

/**
 * When announcements began for a server's channel: the later of the time the announcement channel was chosen and
 * the time the channel was linked. Undefined for settings stored before this was recorded.
 */
export function announcementsBegan(
  settings: ServerSettings,
  linkedAt: string | undefined,
): number | undefined {
  const linked = linkedAt !== undefined ? Date.parse(linkedAt) : NaN;
  if (settings.announceSince === undefined) return undefined;
  return Number.isNaN(linked) ? settings.announceSince : Math.max(settings.announceSince, linked);
}
