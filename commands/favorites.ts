import { ApplicationCommandType, escapeMarkdown, MessageFlags } from 'discord.js';
import type { ChatInputCommand } from '../src/discord/command.ts';
import type { Context } from '../src/context.ts';
import { pageRow, parsePage } from '../src/discord/paging.ts';
import { ACCOUNT_OPTION, accountMarker, ownerFromMarker, resolveAccount } from '../src/discord/account.ts';
import { UserError } from '../src/errors.ts';
import { t } from '../src/i18n/index.ts';
import { LIKED_PAGE_SIZE, videoService, type LikedPage } from '../src/google/videos.ts';

const NAME = 'favorites';

export default {
  data: {
    name: NAME,
    description: 'Page through your favorites: the videos you liked on YouTube (favorites are likes now)',
    type: ApplicationCommandType.ChatInput,
    options: [ACCOUNT_OPTION],
  },
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const account = await resolveAccount(interaction, ctx);
    const page = await videoService(ctx).liked(account.owner);
    await interaction.editReply(
      await render(ctx, page, interaction.user.id, 1, accountMarker(account), interaction.locale),
    );
  },
  async button(interaction, ctx, args) {
    const press = await parsePage(ctx.store, args);
    const [, requester, shown, marker] = press?.view ?? [];
    if (!press || !requester || !shown) throw UserError.t('error.buttonInactiveFavorites');
    if (interaction.user.id !== requester) {
      await interaction.reply({
        content: t(interaction.locale, 'favorites.notRequester'),
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    await interaction.deferUpdate();
    const number = Math.max(1, Number(shown) + press.step);
    const owner = await ownerFromMarker(interaction, ctx, marker);
    const page = await videoService(ctx).liked(owner, press.token);
    await interaction.editReply(
      await render(ctx, page, requester, number, marker ?? 'm', interaction.locale),
    );
  },
} satisfies ChatInputCommand;

async function render(
  ctx: Context,
  page: LikedPage,
  requester: string,
  number: number,
  marker: string,
  locale: string | null | undefined,
) {
  if (page.items.length === 0 && number === 1)
    return {
      content: t(locale, 'favorites.none'),
      components: [],
    };
  const pages = Math.max(1, Math.ceil(page.total / LIKED_PAGE_SIZE));
  const first = (number - 1) * LIKED_PAGE_SIZE;
  const lines = [
    t(locale, 'favorites.header', { page: number, pages, liked: page.total }),
    ...page.items.map(
      (v, i) => `${first + i + 1}. **${escapeMarkdown(v.title.slice(0, 100))}** — <${v.url}>`,
    ),
  ];
  return {
    content: lines.join('\n'),
    components: await pageRow(
      ctx.store,
      NAME,
      ['l', requester, String(number), marker],
      { prev: page.prev, next: page.next },
      locale,
    ),
    allowedMentions: { parse: [] },
  };
}
