// The central dispatcher with the real discord.js client against the Discord fake: every kind of
// failure becomes a reply a member can read, and the log line carries what an admin needs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import {
  ActionRowBuilder,
  ApplicationCommandType,
  ButtonBuilder,
  ButtonStyle,
  Client,
  Events,
  GatewayIntentBits,
  MessageFlags,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { FakeDiscord } from './fakes/discord.ts';
import { waitFor } from './fakes/http.ts';
import { createDispatcher } from '../src/discord/dispatcher.ts';
import { loadCommands } from '../src/discord/loader.ts';
import type { ChatInputCommand } from '../src/discord/command.ts';
import type { Context } from '../src/context.ts';
import { createLogger } from '../src/logger.ts';
import { UserError } from '../src/errors.ts';
import { createStore, type Store } from '../src/store/index.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const lines: Record<string, unknown>[] = [];
const logger = createLogger(
  'info',
  new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  }),
);

const command = (
  name: string,
  defer: ChatInputCommand['defer'],
  run: () => Promise<void>,
): ChatInputCommand => ({
  data: { name, description: `test ${name}`, type: ApplicationCommandType.ChatInput },
  defer,
  execute: run,
  autocomplete: () => Promise.reject(new Error('autocomplete broke')),
  button: () => Promise.reject(new UserError('That button is for someone else.')),
});

/** A review-card-like command: its button and modal acknowledge as an update of the card, then fail. */
const card: ChatInputCommand = {
  ...command('card', 'none', () => Promise.resolve()),
  button: async (interaction, _ctx, [action]) => {
    if (action === 'reply') await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    else await interaction.deferUpdate();
    throw Object.assign(new Error('quota'), {
      response: { data: { error: { code: 403, errors: [{ reason: 'quotaExceeded' }] } } },
    });
  },
  modal: async (interaction) => {
    await interaction.deferUpdate();
    throw new UserError('YouTube did not accept the change. Press the button again.');
  },
};

/** Runs of the `once` command, whichever dispatcher (process) ran it. */
let onceRuns = 0;

const registry = loadCommands([
  card,
  {
    ...command('once', 'none', () => Promise.resolve()),
    execute: async (interaction: ChatInputCommandInteraction) => {
      onceRuns++;
      await interaction.reply({ content: 'done once', flags: MessageFlags.Ephemeral });
    },
  },
  command('boom', 'none', () => Promise.reject(new Error('internal detail ya29.leaked'))),
  command('refuse', 'none', () => Promise.reject(new UserError('The title is longer than 100 characters.'))),
  command('slow', 'ephemeral', () => Promise.reject(Object.assign(new Error('x'), { code: 'ECONNRESET' }))),
  command('quota', 'public', () =>
    Promise.reject(
      Object.assign(new Error('quota'), {
        response: { data: { error: { code: 403, errors: [{ reason: 'quotaExceeded' }] } } },
      }),
    ),
  ),
]);

let discord: FakeDiscord;
let client: Client;
let store: Store;

before(async () => {
  discord = await FakeDiscord.start();
  store = await createStore(`sqlite://${mkdtempSync(join(tmpdir(), 'tb-dispatch-'))}/store.sqlite`, logger);
  client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: discord.apiUrl } });
  const { dispatch } = createDispatcher(registry, {
    logger,
    store,
    commands: registry.all,
  } as unknown as Context);
  client.on(Events.InteractionCreate, (i) => void dispatch(i));
  await client.login(discord.botToken);
  await waitFor(() => (client.isReady() ? true : undefined), 'ready');
});

after(async () => {
  await client.destroy();
  await discord.close();
  await store.close();
});

test('an unexpected error shows a short message with a reference id that is also in the log', async () => {
  const interaction = discord.sendCommand({ name: 'boom' });
  const response = await interaction.response();
  const content = (response.data as { content: string; flags: number }).content;
  assert.equal((response.data as { flags: number }).flags & 64, 64);
  const id = /reference to the server admins: (E[A-Z0-9]{7})\./.exec(content)?.[1];
  assert.ok(id, content);
  assert.doesNotMatch(content, /internal detail|ya29/);
  const entry = await waitFor(() => lines.find((l) => l['referenceId'] === id), 'the log line');
  assert.equal(entry['outcome'], 'error');
  assert.equal(entry['interaction'], '/boom');
  assert.equal(entry['level'], 50);
  assert.match(JSON.stringify(entry['err']), /internal detail/, 'the log keeps the detail…');
  assert.doesNotMatch(JSON.stringify(entry), /ya29\.leaked/, '…but never a token');
});

test('a UserError shows its own text, logged as a refusal rather than a failure', async () => {
  const response = await discord.sendCommand({ name: 'refuse' }).response();
  assert.equal((response.data as { content: string }).content, 'The title is longer than 100 characters.');
  const entry = await waitFor(() => lines.find((l) => l['interaction'] === '/refuse'), 'the log line');
  assert.equal(entry['outcome'], 'user_error');
});

test('after a deferral, the error replaces the "thinking…" message; known causes get their sentence', async () => {
  const slow = discord.sendCommand({ name: 'slow' });
  assert.equal((await slow.response()).type, 5);
  const edited = await slow.waitForOriginal((m) => (m.content ?? '') !== '');
  assert.equal(edited.content, 'A network problem stopped this. Please try again in a moment.');

  const quota = discord.sendCommand({ name: 'quota' });
  assert.equal((await quota.response()).type, 5);
  const quotaReply = await quota.waitForOriginal((m) => (m.content ?? '') !== '');
  assert.match(quotaReply.content ?? '', /quota.*midnight Pacific/);
});

test('a failing autocomplete answers with no choices; components reach their command', async () => {
  const auto = discord.sendAutocomplete({
    name: 'boom',
    options: [{ type: 3, name: 'q', value: 'x', focused: true }],
  });
  const response = await auto.response();
  assert.equal(response.type, 8);
  assert.deepEqual((response.data as { choices: unknown[] }).choices, []);

  const message = await client.channels.fetch(discord.guilds[0]?.channels?.[0]?.id ?? '');
  assert.ok(message?.isSendable());
  const sent = await message.send('card');
  const press = discord.sendButton({
    customId: 'refuse:approve:1',
    message: { id: sent.id, channelId: sent.channelId },
  });
  assert.equal(
    ((await press.response()).data as { content: string }).content,
    'That button is for someone else.',
  );
  const stale = discord.sendButton({
    customId: 'gone:1',
    message: { id: sent.id, channelId: sent.channelId },
  });
  assert.match(((await stale.response()).data as { content: string }).content, /no longer active/);
});

test('an error after deferUpdate leaves the card as it was and reaches the presser as an ephemeral follow-up', async () => {
  const channel = await client.channels.fetch(discord.guilds[0]?.channels?.[0]?.id ?? '');
  assert.ok(channel?.isSendable());
  const sent = await channel.send({
    content: 'A new upload is waiting for review.',
    components: [
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder().setCustomId('card:approve:1').setLabel('Approve').setStyle(ButtonStyle.Success),
        new ButtonBuilder().setCustomId('card:reply:1').setLabel('Reply').setStyle(ButtonStyle.Secondary),
      ),
    ],
  });
  const before = discord.message(sent.id);
  assert.ok(before);
  const ref = { id: sent.id, channelId: sent.channelId };

  const press = discord.sendButton({ customId: 'card:approve:1', message: ref });
  assert.equal((await press.response()).type, 6, 'acknowledged as an update of the card');
  const followUp = await waitFor(() => press.followups()[0], 'the follow-up');
  assert.match(followUp.content ?? '', /quota.*midnight Pacific/);
  assert.equal(followUp.flags & 64, 64, 'only the presser sees it');
  const after = discord.message(sent.id);
  assert.equal(after?.edits, before.edits, 'the card was not edited');
  assert.equal(after?.content, 'A new upload is waiting for review.');
  assert.deepEqual(after?.components, before.components, 'the card keeps its buttons');

  // A modal opened from the card and deferred as an update: the same.
  const submit = discord.sendModalSubmit({ customId: 'card:reason:1', fields: {}, message: ref });
  assert.equal((await submit.response()).type, 6);
  const modalFollowUp = await waitFor(() => submit.followups()[0], 'the modal follow-up');
  assert.equal(modalFollowUp.content, 'YouTube did not accept the change. Press the button again.');
  assert.equal(modalFollowUp.flags & 64, 64);
  assert.equal(discord.message(sent.id)?.edits, before.edits, 'still not edited');

  // A button that deferred a reply of its own still gets that reply replaced by the error.
  const replied = discord.sendButton({ customId: 'card:reply:1', message: ref });
  assert.equal((await replied.response()).type, 5);
  const edited = await replied.waitForOriginal((m) => (m.content ?? '') !== '');
  assert.match(edited.content ?? '', /quota.*midnight Pacific/);
  assert.equal(edited.flags & 64, 64);
  assert.equal(discord.message(sent.id)?.edits, before.edits, 'the card is untouched');
});

test('an interaction that reaches two processes on one store is answered by one; the other does nothing', async () => {
  // A second "process": its own gateway session and dispatcher, the same store.
  const second = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: discord.apiUrl } });
  const { dispatch } = createDispatcher(registry, {
    logger,
    store,
    commands: registry.all,
  } as unknown as Context);
  const seen: string[] = [];
  second.on(Events.InteractionCreate, (i) => {
    seen.push(i.id);
    void dispatch(i);
  });
  await second.login(discord.botToken);
  await waitFor(() => (second.isReady() ? true : undefined), 'the second client to be ready');
  try {
    const before = lines.length;
    for (let n = 0; n < 5; n++) {
      const interaction = discord.sendCommand({ name: 'once' });
      assert.equal((await interaction.response()).data?.content, 'done once');
      await waitFor(() => (seen.includes(interaction.id) ? true : undefined), 'the second session to get it');
      assert.deepEqual(interaction.deliveries(), { live: 2, resumable: 0 });
      assert.equal(interaction.lateCallbacks(), 0, 'the other process did not answer');
    }
    // Both dispatchers have finished with every press (the claim decided before any work).
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(onceRuns, 5, 'run once per interaction');
    const logged = lines.slice(before);
    assert.equal(logged.filter((l) => l['interaction'] === '/once' && l['msg'] === 'interaction').length, 5);
    assert.ok(!logged.some((l) => Number(l['level']) >= 40), 'no warning or error logged');
  } finally {
    await second.destroy();
  }
});
