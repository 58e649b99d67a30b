// Confirm/Cancel buttons for destructive actions. Everything the press needs travels in the
// custom_id (≤ 100 characters): the action, its subject, who may press, and when the buttons expire.
import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import { customId } from './command.ts';
import { t } from '../i18n/index.ts';

export const CONFIRM_TTL_MS = 60_000;

export interface ConfirmRequest {
  readonly command: string;
  readonly action: string;
  readonly subject: string;
  readonly requester: string;
  readonly label: string;
  readonly now?: number;
  /** The Discord locale of whoever reads the buttons (their Cancel label). */
  readonly locale?: string | null;
}

export function confirmRow(request: ConfirmRequest): ActionRowBuilder<ButtonBuilder> {
  const expires = ((request.now ?? Date.now()) + CONFIRM_TTL_MS).toString(36);
  const id = (decision: 'yes' | 'no') =>
    customId(
      request.command,
      'confirm',
      decision,
      request.action,
      request.subject,
      request.requester,
      expires,
    );
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(id('yes')).setLabel(request.label).setStyle(ButtonStyle.Danger),
    new ButtonBuilder()
      .setCustomId(id('no'))
      .setLabel(t(request.locale, 'confirm.cancelButton'))
      .setStyle(ButtonStyle.Secondary),
  );
}

export interface ConfirmPress {
  readonly confirmed: boolean;
  readonly action: string;
  readonly subject: string;
  readonly requester: string;
  readonly expired: boolean;
}

/** Reads the args of a `<command>:confirm:…` button (the dispatcher has split off the command). */
export function parseConfirm(args: readonly string[], now = Date.now()): ConfirmPress | undefined {
  const [kind, decision, action, subject, requester, expires] = args;
  if (kind !== 'confirm' || !action || !subject || !requester || !expires) return undefined;
  return {
    confirmed: decision === 'yes',
    action,
    subject,
    requester,
    expired: now > parseInt(expires, 36),
  };
}
