// The one loader: the bot and the registration script both take their commands from here.
import { ApplicationCommandType, type RESTPutAPIApplicationCommandsJSONBody } from 'discord.js';
import { commands as modules } from '../../commands/index.ts';
import type { Command } from './command.ts';
import { localizeCommand } from '../i18n/commands.ts';

export interface CommandRegistry {
  readonly all: readonly Command[];
  /** Looks a command up by its type (chat input, message, user) and name. */
  find(type: ApplicationCommandType, name: string): Command | undefined;
  /** Looks up the command that owns a component custom_id (`<name>:…`). */
  owner(customId: string): Command | undefined;
  /** The JSON bodies for a bulk overwrite, with Discord's localizations for every language the bot speaks. */
  definitions(): RESTPutAPIApplicationCommandsJSONBody;
}

const typeOf = (command: Command): ApplicationCommandType =>
  command.data.type ?? ApplicationCommandType.ChatInput;

export function loadCommands(list: readonly Command[] = modules): CommandRegistry {
  const byKey = new Map<string, Command>();
  const byName = new Map<string, Command>();
  for (const command of list) {
    const key = `${typeOf(command)}:${command.data.name}`;
    if (byKey.has(key)) throw new Error(`Two command modules define "${command.data.name}"`);
    byKey.set(key, command);
    // Component custom_ids are routed by a short prefix: chat-input names, or context-menu names.
    byName.set(command.data.name, command);
  }
  return {
    all: list,
    find: (type, name) => byKey.get(`${type}:${name}`),
    owner: (id) => byName.get(id.split(':', 1)[0] ?? ''),
    definitions: () => list.map((c) => localizeCommand(c.data)),
  };
}
