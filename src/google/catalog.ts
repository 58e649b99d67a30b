// Lists that feed autocomplete: assignable video categories per region and each member's playlists.
// They cost quota, so they are cached (categories a day, playlists a minute, dropped on change),
// and an autocomplete never waits past its budget: it answers with what is cached instead.
import type { Logger } from '../logger.ts';
import type { OAuthService } from './oauth.ts';
import { youtubeClient } from './youtube.ts';

export interface Category {
  readonly id: string;
  readonly title: string;
}
export interface PlaylistSummary {
  readonly id: string;
  readonly title: string;
  readonly itemCount: number;
  readonly privacy: string;
}

/** YouTube's assignable categories in most regions: the answer when nothing is cached and YouTube is slow. */
export const STANDARD_CATEGORIES: readonly Category[] = [
  { id: '1', title: 'Film & Animation' },
  { id: '2', title: 'Autos & Vehicles' },
  { id: '10', title: 'Music' },
  { id: '15', title: 'Pets & Animals' },
  { id: '17', title: 'Sports' },
  { id: '19', title: 'Travel & Events' },
  { id: '20', title: 'Gaming' },
  { id: '22', title: 'People & Blogs' },
  { id: '23', title: 'Comedy' },
  { id: '24', title: 'Entertainment' },
  { id: '25', title: 'News & Politics' },
  { id: '26', title: 'Howto & Style' },
  { id: '27', title: 'Education' },
  { id: '28', title: 'Science & Technology' },
  { id: '29', title: 'Nonprofits & Activism' },
];

const CATEGORY_TTL_MS = 24 * 3600 * 1000;
const PLAYLIST_TTL_MS = 60 * 1000;

interface Entry<T> {
  at: number;
  value: T;
}

export function createCatalog(oauth: OAuthService, rootUrl: string, logger: Logger) {
  const categories = new Map<string, Entry<Category[]>>();
  const playlists = new Map<string, Entry<PlaylistSummary[]>>();
  const inflight = new Map<string, Promise<unknown>>();

  /** One request per key at a time; the result refreshes the cache even after the budget ran out. */
  function load<T>(key: string, work: () => Promise<T>): Promise<T> {
    const existing = inflight.get(key) as Promise<T> | undefined;
    if (existing) return existing;
    const promise = work().finally(() => inflight.delete(key));
    inflight.set(key, promise);
    return promise;
  }

  /** Fresh data within `budgetMs`, else the cached value (even stale), else `fallback`. */
  async function within<T>(
    promise: Promise<T>,
    cached: T | undefined,
    fallback: T,
    budgetMs: number,
  ): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), budgetMs);
    });
    try {
      const result = await Promise.race([promise, late]);
      return result ?? cached ?? fallback;
    } catch (error) {
      logger.debug({ err: error }, 'catalog lookup failed; answering from cache');
      return cached ?? fallback;
    } finally {
      clearTimeout(timer);
    }
  }

  async function fetchCategories(owner: string, region: string): Promise<Category[]> {
    const items = await oauth.withClient(owner, async (client) => {
      const { data } = await youtubeClient(rootUrl, client).videoCategories.list(
        { part: ['snippet'], regionCode: region },
        { rootUrl },
      );
      return data.items ?? [];
    });
    const value = items
      .filter((c) => c.snippet?.assignable && c.id)
      .map((c) => ({ id: c.id ?? '', title: c.snippet?.title ?? c.id ?? '' }));
    categories.set(region, { at: Date.now(), value });
    return value;
  }

  async function fetchPlaylists(owner: string): Promise<PlaylistSummary[]> {
    const value = await oauth.withClient(owner, async (client) => {
      const yt = youtubeClient(rootUrl, client);
      const all: PlaylistSummary[] = [];
      let pageToken: string | undefined;
      do {
        const { data } = await yt.playlists.list(
          {
            part: ['snippet', 'contentDetails', 'status'],
            mine: true,
            maxResults: 50,
            ...(pageToken ? { pageToken } : {}),
          },
          { rootUrl },
        );
        for (const p of data.items ?? []) {
          if (!p.id) continue;
          all.push({
            id: p.id,
            title: p.snippet?.title ?? p.id,
            itemCount: p.contentDetails?.itemCount ?? 0,
            privacy: p.status?.privacyStatus ?? 'unknown',
          });
        }
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken && all.length < 500);
      return all;
    });
    playlists.set(owner, { at: Date.now(), value });
    return value;
  }

  return {
    /** Assignable categories for a region (two letters), within the budget. */
    categories(owner: string, region: string, budgetMs = 2000): Promise<readonly Category[]> {
      const cached = categories.get(region);
      if (cached && Date.now() - cached.at < CATEGORY_TTL_MS) return Promise.resolve(cached.value);
      return within(
        load(`c:${region}`, () => fetchCategories(owner, region)),
        cached?.value,
        STANDARD_CATEGORIES,
        budgetMs,
      );
    },
    /** The member's playlists, within the budget. */
    playlists(owner: string, budgetMs = 2000): Promise<readonly PlaylistSummary[]> {
      const cached = playlists.get(owner);
      if (cached && Date.now() - cached.at < PLAYLIST_TTL_MS) return Promise.resolve(cached.value);
      return within(
        load(`p:${owner}`, () => fetchPlaylists(owner)),
        cached?.value,
        [],
        budgetMs,
      );
    },
    /** Call after a change to the member's playlists. */
    invalidatePlaylists(owner: string): void {
      playlists.delete(owner);
    },
  };
}

export type Catalog = ReturnType<typeof createCatalog>;

/** Two-letter region from a Discord locale such as "en-US" or "pt-BR"; "US" when there is none. */
export function regionOf(locale: string | null | undefined): string {
  const match = /^[a-z]{2,3}-([A-Z]{2})$/.exec(locale ?? '');
  if (match?.[1]) return match[1];
  const fallback: Record<string, string> = {
    fr: 'FR',
    de: 'DE',
    ja: 'JP',
    ko: 'KR',
    nl: 'NL',
    it: 'IT',
    pl: 'PL',
    ru: 'RU',
    tr: 'TR',
  };
  return fallback[(locale ?? '').slice(0, 2)] ?? 'US';
}
