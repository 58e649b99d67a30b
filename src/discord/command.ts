// The shape of a command module in commands/: its definition as plain command JSON, and handlers.
import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  MessageContextMenuCommandInteraction,
  ModalSubmitInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
  RESTPostAPIContextMenuApplicationCommandsJSONBody,
} from 'discord.js';
import type { Context } from '../context.ts';

/** How the dispatcher acknowledges before running `execute`: not at all, or a (private) "thinking…". */
export type Defer = 'none' | 'ephemeral' | 'public';

interface Handlers {
  /** Runs for buttons whose custom_id is `<command name>:<rest>`; `args` is `<rest>` split on ':'. */
  button?(interaction: ButtonInteraction, ctx: Context, args: string[]): Promise<void>;
  /** Runs for modal submits whose custom_id is `<command name>:<rest>`. */
  modal?(interaction: ModalSubmitInteraction, ctx: Context, args: string[]): Promise<void>;
}

export interface ChatInputCommand extends Handlers {
  readonly data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** Set when the handler may need more than Discord's 3 seconds. */
  readonly defer: Defer;
  execute(interaction: ChatInputCommandInteraction, ctx: Context): Promise<void>;
  /** Must answer within 3 seconds (autocomplete cannot be deferred), at most 25 choices. */
  autocomplete?(interaction: AutocompleteInteraction, ctx: Context): Promise<void>;
}

export interface MessageCommand extends Handlers {
  readonly data: RESTPostAPIContextMenuApplicationCommandsJSONBody;
  readonly defer: Defer;
  execute(interaction: MessageContextMenuCommandInteraction, ctx: Context): Promise<void>;
}

export type Command = ChatInputCommand | MessageCommand;

/** The name a component's custom_id starts with routes it to its command. */
export function customId(command: string, ...parts: string[]): string {
  const id = [command, ...parts].join(':');
  if (id.length > 100) throw new Error(`custom_id longer than 100 characters: ${command}`);
  return id;
}
