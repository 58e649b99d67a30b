// Previous/Next buttons for lists that YouTube pages with tokens. YouTube's tokens are opaque and long
// (playlistItems.list gives ~190 characters), far past a custom_id's 100, so each token is kept in the
// store under a short random key and only the key travels in the custom_id. The view (what is listed)
// comes first so one handler serves many lists.
import { randomBytes } from 'node:crypto';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { Store } from '../store/index.ts';
import { UserError } from '../errors.ts';
import { customId } from './command.ts';
import { t } from '../i18n/index.ts';

export interface PageLinks {
  readonly prev: string | undefined;
  readonly next: string | undefined;
}

/** How long a page's buttons work: Discord's interaction lifetime. */
export const PAGE_TOKEN_TTL_MS = 15 * 60_000;
const COLLECTION = 'page-token';
/** Stands for "no token" (the disabled button); a key is never this. */
const NONE = '-';

/**
 * `[view, ...subject]` identify the list, e.g. ['show', playlistId]. Keeps each token in the store and
 * returns the row, or no row when there is one page; the buttons are labelled in the language of `locale`
 * (the member's).
 */
export async function pageRow(
  store: Store,
  command: string,
  view: readonly string[],
  links: PageLinks,
  locale?: string | null,
): Promise<ActionRowBuilder<ButtonBuilder>[]> {
  if (!links.prev && !links.next) return [];
  const tokens = store.collection<string>(COLLECTION);
  const keep = async (token: string | undefined): Promise<string> => {
    if (!token) return NONE;
    const key = randomBytes(9).toString('base64url');
    await tokens.set(key, token, PAGE_TOKEN_TTL_MS);
    return key;
  };
  const button = (label: string, key: string, direction: string) =>
    new ButtonBuilder()
      .setCustomId(customId(command, 'page', direction, ...view, key))
      .setLabel(label)
      .setStyle(ButtonStyle.Secondary)
      .setDisabled(key === NONE);
  const [prev, next] = await Promise.all([keep(links.prev), keep(links.next)]);
  return [
    new ActionRowBuilder<ButtonBuilder>().addComponents(
      button(t(locale, 'paging.previousButton'), prev, 'p'),
      button(t(locale, 'paging.nextButton'), next, 'n'),
    ),
  ];
}

/** A press on a page button: the direction (-1 or +1), the view and YouTube's token for that page. */
export interface PagePress {
  readonly step: -1 | 1;
  readonly view: string[];
  readonly token: string | undefined;
}

/**
 * Reads `page:<dir>:<view…>:<key>` args and looks the token up; undefined when the args are not a page
 * button. A key that is no longer in the store (older than its TTL) is a UserError saying so.
 */
export async function parsePage(store: Store, args: readonly string[]): Promise<PagePress | undefined> {
  if (args[0] !== 'page' || args.length < 4) return undefined;
  const rest = args.slice(2);
  const key = rest[rest.length - 1] ?? NONE;
  const step = args[1] === 'p' ? -1 : 1;
  const view = rest.slice(0, -1);
  if (key === NONE) return { step, view, token: undefined };
  const token = await store.collection<string>(COLLECTION).get(key);
  if (token === undefined) throw UserError.t('error.buttonsExpired');
  return { step, view, token };
}
