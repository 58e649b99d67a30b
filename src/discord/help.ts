// Renders the /help text from the command definitions themselves, so it can never go stale.
import { ApplicationCommandOptionType } from 'discord.js';
import type { Command } from './command.ts';

export function helpText(commands: readonly Command[]): string {
  const lines: string[] = [
    '**TubeBridge** — put your Discord videos on YouTube without leaving Discord.',
    '',
  ];
  for (const { data } of [...commands].sort((a, b) => a.data.name.localeCompare(b.data.name))) {
    if (!('description' in data)) {
      lines.push(`• **${data.name}** — right-click a message → Apps`);
      continue;
    }
    const subcommands = (data.options ?? []).filter(
      (o) => o.type === ApplicationCommandOptionType.Subcommand,
    );
    if (subcommands.length === 0) lines.push(`• \`/${data.name}\` — ${data.description}`);
    for (const sub of subcommands) lines.push(`• \`/${data.name} ${sub.name}\` — ${sub.description}`);
  }
  // An embed description holds 4,096 characters, twice a message's 2,000.
  return lines.join('\n').slice(0, 4096);
}
