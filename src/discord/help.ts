// Renders the /help text from the command definitions themselves, so it can never go stale; in the
// language of `locale` (the member's), from the same translations Discord shows for the commands.
import { ApplicationCommandOptionType } from 'discord.js';
import type { Command } from './command.ts';
import { commandText } from '../i18n/commands.ts';
import { t } from '../i18n/index.ts';

export function helpText(commands: readonly Command[], locale?: string | null): string {
  const lines: string[] = [t(locale, 'help.intro'), ''];
  for (const { data } of [...commands].sort((a, b) => a.data.name.localeCompare(b.data.name))) {
    if (!('description' in data)) {
      lines.push(t(locale, 'help.contextMenu', { name: data.name }));
      continue;
    }
    const subcommands = (data.options ?? []).filter(
      (o) => o.type === ApplicationCommandOptionType.Subcommand,
    );
    const line = (command: string, path: string[], english: string) =>
      t(locale, 'help.line', { command, description: commandText(locale, path, english) });
    if (subcommands.length === 0)
      lines.push(line(`/${data.name}`, [data.name, 'description'], data.description));
    for (const sub of subcommands)
      lines.push(line(`/${data.name} ${sub.name}`, [data.name, sub.name, 'description'], sub.description));
  }
  // An embed description holds 4,096 characters, twice a message's 2,000.
  return lines.join('\n').slice(0, 4096);
}
