// Previous/Next buttons for lists that YouTube pages with tokens. The token for each direction
// travels in the custom_id; the view (what is listed) comes first so one handler serves many lists.
import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import { customId } from './command.ts';

export interface PageLinks {
  readonly prev: string | undefined;
  readonly next: string | undefined;
}

/** `[view, ...subject]` identify the list, e.g. ['show', playlistId]. Returns no row when there is one page. */
export function pageRow(
  command: string,
  view: readonly string[],
  links: PageLinks,
): ActionRowBuilder<ButtonBuilder>[] {
  if (!links.prev && !links.next) return [];
  const button = (label: string, token: string | undefined, direction: string) =>
    new ButtonBuilder()
      .setCustomId(customId(command, 'page', direction, ...view, token ?? '-'))
      .setLabel(label)
      .setStyle(ButtonStyle.Secondary)
      .setDisabled(!token);
  return [
    new ActionRowBuilder<ButtonBuilder>().addComponents(
      button('◀ Previous', links.prev, 'p'),
      button('Next ▶', links.next, 'n'),
    ),
  ];
}

/** Reads `page:<dir>:<view…>:<token>` args; the token is undefined for the first page. */
export function parsePage(
  args: readonly string[],
): { view: string[]; token: string | undefined } | undefined {
  if (args[0] !== 'page' || args.length < 4) return undefined;
  const rest = args.slice(2);
  const token = rest[rest.length - 1];
  return { view: rest.slice(0, -1), token: token === '-' ? undefined : token };
}
