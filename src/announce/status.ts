// What the announcer last saw of each server, kept in memory for /server's view: the last poll of the server's
// channel feed, why it failed, and why the last announcement could not be posted.

export interface AnnounceStatus {
  /** When this server's channel feed was last read, and what went wrong last, if anything. */
  readonly lastPollAt: number | undefined;
  /** Why the last poll of the server's channel failed (cleared by the next good one). */
  readonly lastError: string | undefined;
  /** Why the last announcement could not be posted (cleared by the next one posted). */
  readonly postError: string | undefined;
}

/** One server's status, written by the poller and by the posting of announcements. */
export type GuildStatus = { -readonly [K in keyof AnnounceStatus]: AnnounceStatus[K] };

export function createStatusBook() {
  const status = new Map<string, GuildStatus>();
  return {
    /** A server's status, made empty when it has none yet. */
    of(guildId: string): GuildStatus {
      let state = status.get(guildId);
      if (state === undefined) {
        state = { lastPollAt: undefined, lastError: undefined, postError: undefined };
        status.set(guildId, state);
      }
      return state;
    },
    /** A server's status when it has one, without making one. */
    peek: (guildId: string): GuildStatus | undefined => status.get(guildId),
    /** A copy for callers. */
    read(guildId: string): AnnounceStatus {
      const state = status.get(guildId);
      return { lastPollAt: state?.lastPollAt, lastError: state?.lastError, postError: state?.postError };
    },
  };
}

export type StatusBook = ReturnType<typeof createStatusBook>;
