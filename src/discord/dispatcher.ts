// The one place interactions enter: claim it (once across processes), find the handler, acknowledge in
// time, run it, log one structured line, and turn any error into a reply the member can read.
//
// With several processes on one shard every interaction reaches each of them (Discord does that during a
// zero-downtime deploy): the first to add its id to the store answers it, the others leave it alone.
import {
  ApplicationCommandType,
  DiscordAPIError,
  MessageFlags,
  type AutocompleteInteraction,
  type Interaction,
  type RepliableInteraction,
} from 'discord.js';
import type { Context } from '../context.ts';
import { classifyError, UserError } from '../errors.ts';
import type { ChatInputCommand, Command, MessageCommand } from './command.ts';
import type { CommandRegistry } from './loader.ts';

export interface DispatchStats {
  handled: number;
  failed: number;
}

/** Discord codes meaning the interaction can no longer be answered: stop using its token at once. */
const DEAD_INTERACTION = new Set([10062, 10015, 50027, 40060]);

/** "Interaction has already been acknowledged": another process answered first. Nobody's error. */
const ALREADY_ACKNOWLEDGED = 40060;

/** How long an interaction's claim is kept: its token's whole life. */
const CLAIM_TTL_MS = 15 * 60 * 1000;

const answeredElsewhere = (error: unknown): boolean =>
  error instanceof DiscordAPIError && error.code === ALREADY_ACKNOWLEDGED;

export function createDispatcher(registry: CommandRegistry, ctx: Context) {
  const stats: DispatchStats = { handled: 0, failed: 0 };
  const claims = ctx.store.collection<string>('interaction');
  const inFlight = new Set<Promise<void>>();
  let draining = false;

  /**
   * True for the one process whose insert of the interaction's id created the record. When the store
   * does not answer, this process goes on (the handler meets the same store and says so): an answer
   * that another process also sends is refused by Discord (40060), which is nobody's error.
   */
  async function claim(interaction: Interaction, label: string): Promise<boolean> {
    try {
      if (await claims.add(interaction.id, ctx.store.processId, CLAIM_TTL_MS)) return true;
      ctx.logger.debug(
        { interaction: label, interactionId: interaction.id },
        'interaction answered by another process',
      );
      return false;
    } catch (error) {
      ctx.logger.warn({ interaction: label, err: error }, 'could not claim the interaction; answering it');
      return true;
    }
  }

  async function run(interaction: Interaction, label: string, work: () => Promise<void>): Promise<void> {
    const claiming = performance.now();
    if (!(await claim(interaction, label))) return;
    const started = performance.now();
    const fields = {
      interaction: label,
      // How long the claim in the store took (durationMs is the rest, until the handler was done).
      claimMs: Math.round(started - claiming),
      userId: interaction.user.id,
      guildId: interaction.guildId ?? undefined,
    };
    stats.handled++;
    try {
      await work();
      ctx.logger.info(
        { ...fields, durationMs: Math.round(performance.now() - started), outcome: 'ok' },
        'interaction',
      );
    } catch (error) {
      if (answeredElsewhere(error)) {
        ctx.logger.debug({ ...fields, outcome: 'answered_elsewhere' }, 'interaction');
        return;
      }
      const classified = classifyError(error, interaction.locale);
      const outcome = classified.kind === 'user' ? 'user_error' : 'error';
      if (outcome === 'error') stats.failed++;
      const log = {
        ...fields,
        durationMs: Math.round(performance.now() - started),
        outcome,
        kind: classified.kind,
        ...classified.detail,
        ...(classified.referenceId ? { referenceId: classified.referenceId } : {}),
      };
      // What carries a reference (an unexpected error, the store not answering) is an error to look into.
      if (classified.referenceId) ctx.logger.error({ ...log, err: error }, 'interaction failed');
      else ctx.logger.info(log, 'interaction refused');
      if (interaction.isRepliable()) await sendError(interaction, classified.message);
      else if (interaction.isAutocomplete()) await emptyChoices(interaction);
    }
  }

  async function sendError(interaction: RepliableInteraction, content: string): Promise<void> {
    try {
      if (acknowledgedAsUpdate(interaction)) {
        // editReply would edit the message the button is on (a public review card, a list): leave it
        // as it was, buttons and all, and tell only the member who pressed.
        await interaction.followUp({
          content,
          flags: MessageFlags.Ephemeral,
          allowedMentions: { parse: [] },
        });
      } else if (interaction.deferred || interaction.replied) {
        await interaction.editReply({ content, embeds: [], components: [], allowedMentions: { parse: [] } });
      } else {
        await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
      }
    } catch (error) {
      const code = error instanceof DiscordAPIError ? error.code : undefined;
      if (code === ALREADY_ACKNOWLEDGED) return;
      ctx.logger.warn(
        {
          userId: interaction.user.id,
          discordCode: code,
          dead: typeof code === 'number' && DEAD_INTERACTION.has(code),
        },
        'could not deliver an error reply',
      );
    }
  }

  async function emptyChoices(interaction: AutocompleteInteraction): Promise<void> {
    if (interaction.responded) return;
    await interaction.respond([]).catch(() => undefined);
  }

  async function acknowledge(command: Command, interaction: RepliableInteraction): Promise<void> {
    if (command.defer === 'none') return;
    await interaction.deferReply(command.defer === 'ephemeral' ? { flags: MessageFlags.Ephemeral } : {});
  }

  /** Handles one interaction; never throws. While draining (shutdown), leaves new ones to other processes. */
  async function dispatch(interaction: Interaction): Promise<void> {
    if (draining) {
      ctx.logger.debug({ interactionId: interaction.id }, 'stopping: interaction left to another process');
      return;
    }
    const handled = handle(interaction);
    inFlight.add(handled);
    try {
      await handled;
    } finally {
      inFlight.delete(handled);
    }
  }

  /** Shutdown: takes no new interaction; waits for those in flight (at most `timeoutMs`). */
  async function drain(timeoutMs: number): Promise<void> {
    draining = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...inFlight]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  async function handle(interaction: Interaction): Promise<void> {
    if (interaction.isChatInputCommand()) {
      const command = registry.find(interaction.commandType, interaction.commandName);
      const label = [
        '/' + interaction.commandName,
        interaction.options.getSubcommandGroup(false),
        interaction.options.getSubcommand(false),
      ]
        .filter(Boolean)
        .join(' ');
      await run(interaction, label, async () => {
        if (!isChatInput(command)) throw unknownCommand();
        await acknowledge(command, interaction);
        await command.execute(interaction, ctx);
      });
    } else if (interaction.isMessageContextMenuCommand()) {
      const command = registry.find(interaction.commandType, interaction.commandName);
      await run(interaction, `message:${interaction.commandName}`, async () => {
        if (!isMessage(command)) throw unknownCommand();
        await acknowledge(command, interaction);
        await command.execute(interaction, ctx);
      });
    } else if (interaction.isAutocomplete()) {
      const command = registry.find(interaction.commandType, interaction.commandName);
      await run(interaction, `autocomplete:/${interaction.commandName}`, async () => {
        if (isChatInput(command) && command.autocomplete) await command.autocomplete(interaction, ctx);
        else await emptyChoices(interaction);
      });
    } else if (interaction.isButton()) {
      const command = registry.owner(interaction.customId);
      await run(interaction, `button:${interaction.customId.split(':', 2).join(':')}`, async () => {
        if (!command?.button) throw unknownComponent();
        await command.button(interaction, ctx, interaction.customId.split(':').slice(1));
      });
    } else if (interaction.isModalSubmit()) {
      const command = registry.owner(interaction.customId);
      await run(interaction, `modal:${interaction.customId.split(':', 2).join(':')}`, async () => {
        if (!command?.modal) throw unknownComponent();
        await command.modal(interaction, ctx, interaction.customId.split(':').slice(1));
      });
    }
  }

  return { dispatch, drain, stats };
}

/**
 * A button or modal answered with deferUpdate/update: its "original response" is the message the
 * component is on, not a reply of its own. discord.js sets `ephemeral` (true or false) only when it
 * replies or defers a reply, so a component acknowledged but with `ephemeral` still null was an update.
 */
function acknowledgedAsUpdate(interaction: RepliableInteraction): boolean {
  if (!interaction.isMessageComponent() && !interaction.isModalSubmit()) return false;
  return (interaction.deferred || interaction.replied) && interaction.ephemeral === null;
}

const isChatInput = (c: Command | undefined): c is ChatInputCommand =>
  c !== undefined && (c.data.type ?? ApplicationCommandType.ChatInput) === ApplicationCommandType.ChatInput;
const isMessage = (c: Command | undefined): c is MessageCommand =>
  c !== undefined && c.data.type === ApplicationCommandType.Message;

function unknownCommand(): UserError {
  return UserError.t('error.unknownCommand');
}

function unknownComponent(): UserError {
  return UserError.t('error.unknownComponent');
}
