// The real discord.js (and undici for the CDN) against the Discord fake: no mocks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createInflate, constants as zlibConstants } from 'node:zlib';
import { request } from 'undici';
import WebSocket from 'ws';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  Events,
  FileUploadBuilder,
  LabelBuilder,
  ModalBuilder,
  TextInputBuilder,
  TextInputStyle,
  GatewayIntentBits,
  MessageFlags,
  REST,
  Routes,
  type Interaction,
  type TextChannel,
} from 'discord.js';
import { FakeDiscord } from './discord.ts';
import { waitFor } from './http.ts';

const GUILD_ID = '800000000000000001';
const CHANNEL_ID = '810000000000000001';
const LOCKED_ID = '810000000000000002';
const OWNER = { id: '700000000000000001', username: 'owner' };
const MEMBER = { id: '700000000000000002', username: 'maker', global_name: 'Maker' };

let fake: FakeDiscord;
let client: Client;

before(async () => {
  fake = await FakeDiscord.start({
    guilds: [
      {
        id: GUILD_ID,
        name: 'Video Makers',
        ownerId: OWNER.id,
        channels: [
          { id: CHANNEL_ID, name: 'general', type: 0 },
          { id: LOCKED_ID, name: 'announcements', type: 0 },
        ],
        members: [
          { user: OWNER, roles: [] },
          { user: MEMBER, roles: [] },
        ],
      },
    ],
  });
  client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  const ready = once(client, Events.ClientReady);
  await client.login(fake.botToken);
  await ready;
});

after(async () => {
  await client.destroy();
  await fake.close();
});

/** Runs `fn` on the next interaction the client receives; resolves with its result. */
function handleNext<T>(fn: (interaction: Interaction) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    client.once(Events.InteractionCreate, (interaction) => {
      fn(interaction).then(resolve, reject);
    });
  });
}

async function apiError(promise: Promise<unknown>): Promise<DiscordAPIError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DiscordAPIError, `expected a DiscordAPIError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to fail');
}

function channel(id = CHANNEL_ID): TextChannel {
  const found = client.channels.cache.get(id);
  assert.ok(found, `channel ${id} cached`);
  return found as TextChannel;
}

test('discord.js logs in: IDENTIFY, READY and the guild cached from GUILD_CREATE', () => {
  assert.equal(fake.identified(), 1);
  assert.equal(client.user?.id, fake.applicationId);
  assert.equal(client.application?.id, fake.applicationId);
  const guild = client.guilds.cache.get(GUILD_ID);
  assert.equal(guild?.name, 'Video Makers');
  assert.equal(guild?.channels.cache.get(CHANNEL_ID)?.name, 'general');
  assert.ok(guild?.members.me, 'the bot member is cached');
  assert.ok(guild?.roles.everyone.permissions.has('SendMessages'));
  const gatewayCall = fake.calls.find((c) => c.path === '/gateway/bot');
  assert.equal(gatewayCall?.status, 200);
  assert.equal(gatewayCall?.headers.authorization, `Bot ${fake.botToken}`);
});

test('REST answers only under /api/v10, with rate-limit headers on every response', async () => {
  const v9 = await fetch(`${fake.apiUrl}/v9/gateway`);
  assert.equal(v9.status, 404);
  assert.deepEqual(await v9.json(), { message: '404: Not Found', code: 0 });
  const v10 = await fetch(`${fake.apiUrl}/v10/gateway`);
  assert.equal(v10.status, 200);
  assert.deepEqual(await v10.json(), { url: fake.gatewayUrl });
  for (const name of ['limit', 'remaining', 'reset', 'reset-after', 'bucket']) {
    assert.ok(v10.headers.get(`x-ratelimit-${name}`), `x-ratelimit-${name}`);
  }
  const noAuth = await fetch(`${fake.apiUrl}/v10/users/@me`);
  assert.equal(noAuth.status, 401);
  assert.deepEqual(await noAuth.json(), { message: '401: Unauthorized', code: 0 });
});

test('a wrong token fails to log in with TokenInvalid after a 401 from /gateway/bot', async () => {
  const wrong = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  try {
    await assert.rejects(wrong.login('not-the-token'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'TokenInvalid');
      return true;
    });
    const last = fake.calls.filter((c) => c.path === '/gateway/bot').at(-1);
    assert.equal(last?.status, 401);
    assert.equal(fake.identified(), 1);
  } finally {
    await wrong.destroy();
  }
});

test('a chat input command with an attachment option; reply lands ephemeral', async () => {
  const file = fake.addAttachment({
    filename: 'clip.mp4',
    data: Buffer.alloc(1000, 7),
    contentType: 'video/mp4',
  });
  const done = handleNext(async (i) => {
    assert.ok(i.isChatInputCommand());
    assert.equal(i.commandName, 'upload');
    assert.equal(i.user.id, MEMBER.id);
    assert.equal(i.guildId, GUILD_ID);
    assert.equal(i.channelId, CHANNEL_ID);
    assert.equal(i.attachmentSizeLimit, 10 * 1024 * 1024);
    assert.ok(i.appPermissions.has('SendMessages'));
    const attachment = i.options.getAttachment('file', true);
    assert.equal(attachment.url, file.url);
    assert.equal(attachment.size, 1000);
    assert.equal(attachment.contentType, 'video/mp4');
    assert.equal(i.options.getString('title'), 'My clip');
    await i.reply({ content: 'Uploading…', flags: MessageFlags.Ephemeral });
  });
  const handle = fake.sendCommand({
    name: 'upload',
    user: MEMBER,
    guildId: GUILD_ID,
    options: [
      { name: 'file', type: 11, value: file.id },
      { name: 'title', type: 3, value: 'My clip' },
    ],
    attachments: [file],
  });
  await done;
  const response = await handle.response();
  assert.equal(response.type, 4);
  assert.equal(response.data?.content, 'Uploading…');
  const original = handle.original();
  assert.equal(original?.content, 'Uploading…');
  assert.equal(original?.flags, 64);
  assert.equal(original?.interaction_metadata?.user.id, MEMBER.id);
  assert.ok(
    !fake.channelMessages(CHANNEL_ID).some((m) => m.id === original?.id),
    'ephemeral: not in the channel',
  );
  const callback = fake.calls.find((c) => c.path === `/interactions/${handle.id}/${handle.token}/callback`);
  assert.equal(callback?.headers.authorization, undefined, 'no Authorization header on callbacks');
  assert.equal(callback?.status, 204);
});

test('deferReply + editReply + followUp; a second callback answers 40060', async () => {
  const done = handleNext(async (i) => {
    assert.ok(i.isChatInputCommand());
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    await i.editReply('Done: 100%');
    await i.followUp({ content: 'Also this', flags: MessageFlags.Ephemeral });
    await i.followUp('And this, for everyone');
    const error = await apiError(
      client.rest.post(Routes.interactionCallback(i.id, i.token), {
        body: { type: 4, data: { content: 'again' } },
        auth: false,
      }),
    );
    assert.equal(error.code, 40060);
    assert.equal(error.status, 400);
    assert.equal(error.message, 'Interaction has already been acknowledged.');
  });
  const handle = fake.sendCommand({ name: 'status', user: MEMBER });
  await done;
  assert.equal((await handle.response()).type, 5);
  const original = handle.original();
  assert.equal(original?.content, 'Done: 100%');
  assert.equal(original?.flags, 64, 'ephemeral kept, loading flag gone');
  assert.equal(original?.edits, 1);
  const followups = handle.followups();
  assert.deepEqual(
    followups.map((m) => [m.content, m.flags]),
    [
      ['Also this', 64],
      ['And this, for everyone', 0],
    ],
  );
  assert.ok(fake.channelMessages(CHANNEL_ID).some((m) => m.content === 'And this, for everyone'));
});

test('a follow-up right after a deferral completes the loading message (documented behaviour)', async () => {
  const done = handleNext(async (i) => {
    assert.ok(i.isChatInputCommand());
    await i.deferReply();
    const message = await i.followUp({ content: 'finished', flags: MessageFlags.Ephemeral });
    return message.id;
  });
  const handle = fake.sendCommand({ name: 'status' });
  const id = await done;
  assert.equal(handle.original()?.id, id);
  assert.equal(handle.original()?.content, 'finished');
  assert.equal(handle.original()?.flags, 0, 'the ephemeral flag is ignored; the deferral was public');
  assert.deepEqual(handle.followups(), []);
});

test('reply withResponse returns the message; files upload as multipart and are served by the CDN', async () => {
  const done = handleNext(async (i) => {
    assert.ok(i.isChatInputCommand());
    const response = await i.reply({
      content: 'here',
      files: [{ attachment: Buffer.from('hello file'), name: 'note.txt' }],
      withResponse: true,
    });
    return response.resource?.message;
  });
  const handle = fake.sendCommand({ name: 'export' });
  const message = await done;
  assert.equal(message?.content, 'here');
  const attachment = handle.original()?.attachments[0];
  assert.equal(attachment?.filename, 'note.txt');
  assert.equal(message?.attachments.first()?.url, attachment?.url);
  const call = fake.calls.find((c) => c.path.endsWith('/callback') && c.path.includes(handle.id));
  assert.deepEqual(
    call?.files.map((f) => [f.name, f.size]),
    [['note.txt', 10]],
  );
  const res = await request(attachment?.url ?? '');
  assert.equal(res.statusCode, 200);
  assert.equal(await res.body.text(), 'hello file');
});

test('webhook routes before any callback answer 10015; a callback after 3 s answers 10062', async () => {
  const done = handleNext(async (i) => {
    const early = await apiError(
      client.rest.patch(Routes.webhookMessage(fake.applicationId, i.token, '@original'), {
        body: { content: 'x' },
        auth: false,
      }),
    );
    assert.equal(early.code, 10015);
    assert.equal(early.status, 404);
    fake.advanceTime(3500);
    assert.ok(i.isRepliable());
    const late = await apiError(i.reply('too late'));
    assert.equal(late.code, 10062);
    assert.equal(late.status, 404);
  });
  fake.sendCommand({ name: 'slow' });
  await done;
});

test('after the 15-minute token lifetime editReply rejects with 50027', async () => {
  const done = handleNext(async (i) => {
    assert.ok(i.isChatInputCommand());
    await i.deferReply();
    fake.advanceTime(15 * 60 * 1000 + 1000);
    const error = await apiError(i.editReply('too late'));
    assert.equal(error.code, 50027);
    assert.equal(error.status, 401);
    assert.equal(error.message, 'Invalid Webhook Token');
  });
  fake.sendCommand({ name: 'long' });
  await done;
  const me = (await client.rest.get(Routes.user())) as { id: string };
  assert.equal(me.id, fake.applicationId, 'the 401 on the webhook did not drop the bot token');
});

test('autocomplete respond sends choices', async () => {
  const done = handleNext(async (i) => {
    assert.ok(i.isAutocomplete());
    assert.equal(i.options.getFocused(), 'ca');
    assert.equal(i.options.getSubcommand(), 'add');
    await i.respond([{ name: 'Cats', value: 'PL1' }]);
  });
  const handle = fake.sendAutocomplete({
    name: 'playlist',
    options: [{ name: 'add', type: 1, options: [{ name: 'playlist', type: 3, value: 'ca', focused: true }] }],
  });
  await done;
  const response = await handle.response();
  assert.equal(response.type, 8);
  assert.deepEqual(response.data?.choices, [{ name: 'Cats', value: 'PL1' }]);
});

test('a button press on a channel message; update edits that message', async () => {
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId('confirm').setLabel('Confirm').setStyle(ButtonStyle.Primary),
  );
  const sent = await channel().send({ content: 'Confirm?', components: [row] });
  const done = handleNext(async (i) => {
    assert.ok(i.isButton());
    assert.equal(i.customId, 'confirm');
    assert.equal(i.message.id, sent.id);
    await i.update({ content: 'Confirmed', components: [] });
  });
  const handle = fake.sendButton({ customId: 'confirm', message: { id: sent.id }, user: MEMBER });
  await done;
  assert.equal((await handle.response()).type, 7);
  const message = fake.channelMessages(CHANNEL_ID).find((m) => m.id === sent.id);
  assert.equal(message?.content, 'Confirmed');
  assert.deepEqual(message?.components, []);
  assert.equal(message?.edits, 1);
  assert.equal(handle.original()?.id, sent.id);
});

test('a modal submit: fields.getTextInputValue works with Labels and with legacy action rows', async () => {
  for (const legacyActionRows of [false, true]) {
    const done = handleNext(async (i) => {
      assert.ok(i.isModalSubmit());
      assert.equal(i.customId, 'details');
      assert.equal(i.fields.getTextInputValue('title'), 'Holiday');
      assert.equal(i.fields.getTextInputValue('description'), 'Sun and sea');
      await i.reply({ content: 'saved', flags: MessageFlags.Ephemeral });
    });
    const handle = fake.sendModalSubmit({
      customId: 'details',
      fields: { title: 'Holiday', description: 'Sun and sea' },
      legacyActionRows,
    });
    await done;
    assert.equal((await handle.response()).type, 4);
  }
});

test('a modal file upload is read with fields.getUploadedFiles', async () => {
  const file = fake.addAttachment({ filename: 'a.mp4', data: Buffer.alloc(10) });
  const done = handleNext(async (i) => {
    assert.ok(i.isModalSubmit());
    const files = i.fields.getUploadedFiles('video', true);
    assert.equal(files.first()?.url, file.url);
    await i.deferReply();
  });
  fake.sendModalSubmit({ customId: 'upload', fields: {}, files: { video: [file] } });
  await done;
});

/** A modal with a title and a Label-wrapped File Upload for one video, as the bot builds it. */
function fileModal(upload: Partial<{ required: boolean; minValues: number; maxValues: number }> = {}) {
  const file = new FileUploadBuilder()
    .setCustomId('video')
    .setMinValues(upload.minValues ?? 1)
    .setMaxValues(upload.maxValues ?? 1)
    .setFileTypes('video');
  if (upload.required !== undefined) file.setRequired(upload.required);
  return new ModalBuilder()
    .setCustomId('attach')
    .setTitle('Attach a video')
    .addLabelComponents(
      new LabelBuilder()
        .setLabel('Title')
        .setTextInputComponent(
          new TextInputBuilder().setCustomId('title').setStyle(TextInputStyle.Short).setRequired(false),
        ),
      new LabelBuilder().setLabel('Video').setFileUploadComponent(file),
    );
}

/** Opens `modal` from a slash command, as the bot would. */
async function openModal(modal: ModalBuilder, limit?: number) {
  const shown = handleNext(async (i) => {
    assert.ok(i.isChatInputCommand());
    await i.showModal(modal);
  });
  const opened = fake.sendCommand({ name: 'upload', user: MEMBER, attachmentSizeLimit: limit });
  await shown;
  assert.equal((await opened.response()).type, 9);
  return opened;
}

test('a modal File Upload: the submit carries the picked file as values and resolved attachments on the CDN', async () => {
  const opened = await openModal(fileModal());
  const data = Buffer.from('not really a video, but named like one');
  const received = handleNext(async (i) => {
    assert.ok(i.isModalSubmit());
    assert.equal(i.attachmentSizeLimit, 10 * 1024 * 1024);
    assert.equal(i.fields.getTextInputValue('title'), '');
    const files = i.fields.getUploadedFiles('video', true);
    assert.equal(files.size, 1);
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    return files.first();
  });
  const submit = fake.submitModal(opened, { files: { video: [{ filename: 'clip.MOV', data }] } });
  const file = await received;
  assert.equal(file?.name, 'clip.MOV');
  assert.equal(file?.size, data.length);
  assert.match(file?.url ?? '', /\/ephemeral-attachments\/\d+\/\d+\/clip\.MOV\?ex=/);
  const fetched = await request(file?.url ?? '');
  assert.equal(fetched.statusCode, 200);
  assert.deepEqual(Buffer.from(await fetched.body.arrayBuffer()), data);
  const raw = (submit.payload['data'] as { components: { type: number; component: { type: number } }[] })
    .components;
  assert.deepEqual(
    raw.map((c) => [c.type, c.component.type]),
    [
      [18, 4],
      [18, 19],
    ],
    'every component of the modal, each in its Label',
  );
});

test('a modal File Upload left empty when optional: values is empty, getUploadedFiles gives nothing', async () => {
  const opened = await openModal(fileModal({ required: false, minValues: 0 }));
  const received = handleNext(async (i) => {
    assert.ok(i.isModalSubmit());
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    return i.fields.getField('video');
  });
  fake.submitModal(opened, { fields: { title: 'x' } });
  const field = (await received) as { values?: string[] };
  assert.deepEqual(field.values, []);
});

test('Discord refuses what its client would not submit: too many files, over the limit, wrong type, missing', async () => {
  const opened = await openModal(fileModal(), 5 * 1024 * 1024);
  const video = (name: string, size: number) => ({ filename: name, data: Buffer.alloc(size) });
  assert.throws(
    () => fake.submitModal(opened, { files: { video: [video('a.mp4', 10), video('b.mp4', 10)] } }),
    /takes at most 1 file/,
  );
  assert.throws(
    () => fake.submitModal(opened, { files: { video: [video('big.mp4', 5 * 1024 * 1024 + 1)] } }),
    /over the member's upload limit/,
  );
  assert.throws(() => fake.submitModal(opened, { files: { video: [video('notes.txt', 10)] } }), /file types/);
  assert.throws(() => fake.submitModal(opened, {}), /needs at least 1 file/);
  assert.throws(() => fake.submitModal(opened, { fields: { nope: 'x' } }), /no component "nope"/);
});

test('a modal payload Discord refuses: a File Upload outside a Label, required with min_values 0', async () => {
  for (const [components, field] of [
    [[{ type: 1, components: [{ type: 19, custom_id: 'video' }] }], 'components'],
    [
      [{ type: 18, label: 'Video', component: { type: 19, custom_id: 'video', min_values: 0 } }],
      'min_values',
    ],
    [
      [{ type: 18, label: 'Video', component: { type: 19, custom_id: 'v', min_values: 2, max_values: 1 } }],
      'min_values',
    ],
    [
      [{ type: 18, label: 'Video', component: { type: 19, custom_id: 'v', file_types: ['movies'] } }],
      'file_types',
    ],
  ] as const) {
    const failed = handleNext(async (i) => {
      assert.ok(i.isChatInputCommand());
      return apiError(
        client.rest.post(`/interactions/${i.id}/${i.token}/callback`, {
          body: { type: 9, data: { custom_id: 'm', title: 'Modal', components } },
          auth: false,
        }),
      );
    });
    fake.sendCommand({ name: 'upload', user: MEMBER });
    const error = await failed;
    assert.equal(error.code, 50035);
    assert.match(JSON.stringify(error.rawError), new RegExp(field));
  }
});

test('a message context menu command resolves the target message', async () => {
  const sent = await channel().send('target');
  const done = handleNext(async (i) => {
    assert.ok(i.isMessageContextMenuCommand());
    assert.equal(i.targetMessage.id, sent.id);
    assert.equal(i.targetMessage.content, 'target');
    await i.reply({ content: 'ok', flags: MessageFlags.Ephemeral });
  });
  fake.sendCommand({ name: 'Upload to YouTube', type: 3, targetId: sent.id });
  await done;
});

test('channel send, DM send, and the 50013 / 50007 / 10003 errors', async () => {
  const sent = await channel().send('progress 10%');
  await sent.edit('progress 50%');
  const stored = fake.channelMessages(CHANNEL_ID).find((m) => m.id === sent.id);
  assert.equal(stored?.content, 'progress 50%');
  assert.equal(stored?.edits, 1);

  const user = await client.users.fetch(MEMBER.id);
  await user.send('your video is up');
  assert.deepEqual(
    fake.dmMessages(MEMBER.id).map((m) => m.content),
    ['your video is up'],
  );

  fake.setChannelPermissionDenied(LOCKED_ID, true);
  const denied = await apiError(channel(LOCKED_ID).send('nope'));
  assert.equal(denied.code, 50013);
  assert.equal(denied.status, 403);
  assert.equal(denied.message, 'Missing Permissions');
  fake.setChannelPermissionDenied(LOCKED_ID, false);

  fake.setDmsClosed(MEMBER.id, true);
  const closed = await apiError(user.send('again'));
  assert.equal(closed.code, 50007);
  assert.equal(closed.status, 403);
  fake.setDmsClosed(MEMBER.id, false);

  const unknown = await apiError(client.rest.get(Routes.channel('123')));
  assert.equal(unknown.code, 10003);
  assert.equal(unknown.status, 404);

  const empty = await apiError(
    client.rest.post(Routes.channelMessages(CHANNEL_ID), { body: { content: '' } }),
  );
  assert.equal(empty.code, 50006);
  const tooLong = await apiError(channel().send('x'.repeat(2001)));
  assert.equal(tooLong.code, 50035);
  assert.deepEqual(tooLong.rawError, {
    message: 'Invalid Form Body',
    code: 50035,
    errors: {
      content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] },
    },
  });
});

test('enforce_nonce: the same nonce within a few minutes returns the first message; without it, or later, a new one', async () => {
  const post = (body: Record<string, unknown>) =>
    client.rest.post(Routes.channelMessages(CHANNEL_ID), { body }) as Promise<{ id: string; nonce?: string }>;
  const before = fake.channelMessages(CHANNEL_ID).length;
  const first = await post({ content: 'card', nonce: 'review-1', enforce_nonce: true });
  assert.equal(first.nonce, 'review-1', 'the nonce is echoed');
  const again = await post({ content: 'card, sent again', nonce: 'review-1', enforce_nonce: true });
  assert.equal(again.id, first.id, 'the first message is returned');
  assert.equal(fake.channelMessages(CHANNEL_ID).length, before + 1, 'nothing new was created');

  // Without enforce_nonce a nonce deduplicates nothing.
  const loose = await post({ content: 'loose', nonce: 'loose-1' });
  assert.notEqual((await post({ content: 'loose', nonce: 'loose-1' })).id, loose.id);

  // After a few minutes the same nonce creates a message again.
  fake.advanceTime(10 * 60_000);
  const later = await post({ content: 'card', nonce: 'review-1', enforce_nonce: true });
  fake.advanceTime(-10 * 60_000);
  assert.notEqual(later.id, first.id);

  const long = await apiError(post({ content: 'x', nonce: 'n'.repeat(26), enforce_nonce: true }));
  assert.equal(long.code, 50035);
});

test('an injected 429 is retried transparently by @discordjs/rest', async () => {
  fake.failNext({ method: 'POST', pathPattern: /^\/channels\/\d+\/messages$/ }, { status: 429 });
  const limited: unknown[] = [];
  const onLimit = (info: unknown): void => void limited.push(info);
  client.rest.on('rateLimited', onLimit);
  try {
    const sent = await channel().send('after a rate limit');
    assert.equal(sent.content, 'after a rate limit');
  } finally {
    client.rest.off('rateLimited', onLimit);
  }
  const statuses = fake.calls
    .filter((c) => c.method === 'POST' && c.path === `/channels/${CHANNEL_ID}/messages`)
    .slice(-2);
  assert.deepEqual(
    statuses.map((c) => c.status),
    [429, 200],
  );
  assert.equal(limited.length, 1);
});

test('REST bulk overwrite of guild commands stores them; invalid names answer 50035; wrong token 401', async () => {
  const rest = new REST({ api: fake.apiUrl }).setToken(fake.botToken);
  const body = [
    { name: 'help', description: 'Show help' },
    {
      name: 'upload',
      description: 'Upload a video',
      options: [{ type: 11, name: 'file', description: 'The file', required: true }],
    },
  ];
  const result = (await rest.put(Routes.applicationGuildCommands(fake.applicationId, GUILD_ID), {
    body,
  })) as { id: string; name: string; application_id: string }[];
  assert.deepEqual(
    result.map((c) => c.name),
    ['help', 'upload'],
  );
  assert.ok(result.every((c) => /^\d+$/.test(c.id) && c.application_id === fake.applicationId));
  assert.deepEqual(
    (fake.commands.guild.get(GUILD_ID) ?? []).map((c) => c.name),
    ['help', 'upload'],
  );
  const again = (await rest.put(Routes.applicationGuildCommands(fake.applicationId, GUILD_ID), { body })) as {
    id: string;
  }[];
  assert.deepEqual(
    again.map((c) => c.id),
    result.map((c) => c.id),
    'ids are kept across overwrites',
  );

  const bad = await apiError(
    rest.put(Routes.applicationCommands(fake.applicationId), {
      body: [{ name: 'Bad Name', description: 'x' }],
    }),
  );
  assert.equal(bad.code, 50035);
  assert.equal(bad.status, 400);
  assert.deepEqual(fake.commands.global, []);

  const wrong = new REST({ api: fake.apiUrl }).setToken('wrong');
  const unauthorized = await apiError(wrong.get(Routes.applicationCommands(fake.applicationId)));
  assert.equal(unauthorized.status, 401);
  assert.equal(unauthorized.message, '401: Unauthorized');
});

test('CDN: Range → 206, ignoreRange → 200, unsatisfiable → 416, expired or tampered → 404, dropAfterBytes → error', async () => {
  const data = Buffer.from('0123456789abcdefghij');
  const file = fake.addAttachment({
    filename: 'video.mp4',
    data,
    contentType: 'video/mp4',
    expiresInMs: 60_000,
  });
  assert.match(
    file.url,
    new RegExp(
      `^${fake.cdnOrigin}/attachments/\\d+/${file.id}/video\\.mp4\\?ex=[0-9a-f]+&is=[0-9a-f]+&hm=[0-9a-f]+&$`,
    ),
  );

  const partial = await request(file.url, { headers: { range: 'bytes=5-9' } });
  assert.equal(partial.statusCode, 206);
  assert.equal(partial.headers['content-range'], 'bytes 5-9/20');
  assert.equal(partial.headers['accept-ranges'], 'bytes');
  assert.equal(partial.headers['content-type'], 'video/mp4');
  assert.equal(await partial.body.text(), '56789');

  const open = await request(file.url, { headers: { range: 'bytes=15-' } });
  assert.equal(await open.body.text(), 'fghij');

  const head = await request(file.url, { method: 'HEAD' });
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers['content-length'], '20');
  await head.body.dump();

  fake.cdn.ignoreRange = true;
  const whole = await request(file.url, { headers: { range: 'bytes=5-9' } });
  assert.equal(whole.statusCode, 200);
  assert.equal(await whole.body.text(), data.toString());
  fake.cdn.ignoreRange = false;

  const unsatisfiable = await request(file.url, { headers: { range: 'bytes=50-' } });
  assert.equal(unsatisfiable.statusCode, 416);
  assert.equal(unsatisfiable.headers['content-range'], 'bytes */20');
  await unsatisfiable.body.dump();

  const tampered = await request(file.url.replace(/hm=[0-9a-f]/, 'hm=x'));
  assert.equal(tampered.statusCode, 404);
  assert.equal(await tampered.body.text(), 'This content is no longer available.');

  fake.cdn.dropAfterBytes = 4;
  const dropped = await request(file.url);
  assert.equal(dropped.statusCode, 200);
  await assert.rejects(dropped.body.arrayBuffer());
  assert.equal(fake.cdn.dropAfterBytes, null, 'one-shot');

  fake.advanceTime(61_000);
  const expired = await request(file.url);
  assert.equal(expired.statusCode, 404);
  assert.equal(await expired.body.text(), 'This content is no longer available.');

  const cdnCalls = fake.calls.filter((c) => c.service === 'cdn' && c.path.includes(file.id));
  assert.deepEqual(
    cdnCalls.map((c) => c.status),
    [206, 206, 200, 200, 416, 404, 200, 404],
  );
});

test('gateway: a dropped connection resumes and replays what it missed', async () => {
  const resumed = once(client, Events.ShardResume);
  const debug: string[] = [];
  const onDebug = (line: string): void => void debug.push(line);
  client.on(Events.Debug, onDebug);
  const done = handleNext(async (i) => {
    assert.ok(i.isChatInputCommand());
    await i.reply('still here');
  });
  fake.disconnectGateway(4000);
  const handle = fake.sendCommand({ name: 'ping' }); // dispatched while the connection is down
  await resumed;
  await done;
  client.off(Events.Debug, onDebug);
  assert.equal(fake.identified(), 1, 'resumed, not re-identified');
  assert.ok(
    debug.some((line) => line.includes('Resumed and replayed 2 events')),
    'the interaction was replayed (discord.js counts RESUMED itself too)',
  );
  assert.equal(handle.original()?.content, 'still here');
});

test('two sessions on one shard: a press reaches both, the first callback wins, the second gets 40060', async () => {
  // A second process identifies for the same shard (a zero-downtime deploy): Discord sends it every
  // interaction of that shard too.
  const second = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  const ready = once(second, Events.ClientReady);
  await second.login(fake.botToken);
  await ready;
  try {
    const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setCustomId('both').setLabel('Both').setStyle(ButtonStyle.Primary),
    );
    const sent = await channel().send({ content: 'Press', components: [row] });
    const outcomes: string[] = [];
    const answer = (who: string, c: Client) =>
      new Promise<void>((resolve) => {
        c.once(Events.InteractionCreate, (i) => {
          assert.ok(i.isButton());
          i.update({ content: `by ${who}`, components: [] }).then(
            () => {
              outcomes.push(`${who}:ok`);
              resolve();
            },
            (error: unknown) => {
              outcomes.push(
                `${who}:${error instanceof DiscordAPIError ? `${error.status}/${error.code}` : 'other'}`,
              );
              resolve();
            },
          );
        });
      });
    const both = Promise.all([answer('first', client), answer('second', second)]);
    const message = fake.message(sent.id);
    assert.ok(message);
    const handle = fake.pressButton({ message, label: 'Both', user: MEMBER });
    await both;
    assert.deepEqual(handle.deliveries(), { live: 2, resumable: 0 }, 'both sessions got it');
    assert.equal(outcomes.filter((o) => o.endsWith(':ok')).length, 1, outcomes.join(', '));
    assert.equal(outcomes.filter((o) => o.endsWith(':400/40060')).length, 1, outcomes.join(', '));
    assert.equal(handle.lateCallbacks(), 1);
    assert.match(fake.message(sent.id)?.content ?? '', /^by (first|second)$/);
    assert.equal(fake.message(sent.id)?.edits, 1, 'the message was edited once');
  } finally {
    await second.destroy();
  }
  // The second session closed normally: the next interaction reaches the first alone.
  const done = handleNext(async (i) => {
    assert.ok(i.isChatInputCommand());
    await i.reply('alone');
  });
  const alone = fake.sendCommand({ name: 'ping' });
  await done;
  assert.deepEqual(alone.deliveries(), { live: 1, resumable: 0 });
});

test('gateway: wrong token closes 4004; zlib-stream compression works; v9 is refused', async () => {
  const port = new URL(fake.apiUrl).port;
  const closeCode = async (query: string, identify: unknown): Promise<number> => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/?${query}`);
    ws.on('message', () => ws.send(JSON.stringify(identify)));
    const [code] = (await once(ws, 'close')) as [number];
    return code;
  };
  const identify = (token: string) => ({
    op: 2,
    d: { token, intents: 1, properties: { os: 'linux', browser: 'x', device: 'x' } },
  });
  assert.equal(await closeCode('v=10&encoding=json', identify('wrong')), 4004);
  assert.equal(await closeCode('v=9&encoding=json', identify('wrong')), 4012);
  assert.equal(
    await closeCode('v=10&encoding=json', { op: 2, d: { token: fake.botToken, intents: 1 << 15 } }),
    4014,
  );

  const ws = new WebSocket(`ws://127.0.0.1:${port}/?v=10&encoding=json&compress=zlib-stream`);
  const inflate = createInflate();
  const payloads: { op: number; t?: string }[] = [];
  let pending = Buffer.alloc(0);
  ws.on('message', (data: Buffer) => {
    inflate.write(data, () => undefined);
    inflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
      let chunk: Buffer | null;
      while ((chunk = inflate.read() as Buffer | null) !== null) pending = Buffer.concat([pending, chunk]);
      if (pending.length === 0) return;
      const payload = JSON.parse(pending.toString()) as { op: number; t?: string };
      pending = Buffer.alloc(0);
      payloads.push(payload);
      if (payload.op === 10) ws.send(JSON.stringify(identify(fake.botToken)));
    });
  });
  try {
    await waitFor(
      () => (payloads.some((p) => p.t === 'GUILD_CREATE') ? true : undefined),
      'READY and GUILD_CREATE over zlib-stream',
    );
    assert.deepEqual(
      payloads.map((p) => p.t ?? p.op),
      [10, 'READY', 'GUILD_CREATE'],
    );
  } finally {
    ws.close(1000);
    await once(ws, 'close');
  }
});

test('OAuth2: consent redirects with code and state; the token endpoint checks client, redirect and PKCE; users/@me takes the Bearer token', async () => {
  const redirect = 'http://127.0.0.1:9/oauth/discord/callback';
  fake.oauth.redirectUris.add(redirect);
  fake.oauth.consent.user = MEMBER;
  const origin = new URL(fake.apiUrl).origin;
  const verifier = 'v'.repeat(50);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = (query: Record<string, string>) =>
    request(`${origin}/oauth2/authorize?${new URLSearchParams(query).toString()}`);
  const base = {
    response_type: 'code',
    client_id: fake.applicationId,
    scope: 'identify',
    redirect_uri: redirect,
    state: 's1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  const unregistered = await authorize({ ...base, redirect_uri: 'http://127.0.0.1:9/elsewhere' });
  assert.equal(unregistered.statusCode, 400);
  assert.match(await unregistered.body.text(), /Invalid OAuth2 redirect_uri/);
  const codeFor = async () => {
    const answer = await authorize(base);
    await answer.body.dump();
    assert.equal(answer.statusCode, 302);
    const back = new URL(String(answer.headers['location']));
    assert.equal(back.searchParams.get('state'), 's1');
    return back.searchParams.get('code') ?? '';
  };
  const token = (form: Record<string, string>, auth = `${fake.applicationId}:${fake.oauth.clientSecret}`) =>
    request(`${fake.apiUrl}/v10/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(auth).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
    });
  const exchange = (code: string, codeVerifier = verifier) => ({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirect,
    code_verifier: codeVerifier,
  });

  const wrongSecret = await token(exchange(await codeFor()), `${fake.applicationId}:nope`);
  assert.equal(wrongSecret.statusCode, 401);
  assert.deepEqual(await wrongSecret.body.json(), { error: 'invalid_client' });
  const wrongVerifier = await token(exchange(await codeFor(), 'w'.repeat(50)));
  assert.equal(wrongVerifier.statusCode, 400);
  assert.deepEqual(await wrongVerifier.body.json(), {
    error: 'invalid_grant',
    error_description: 'Invalid "code_verifier" in request.',
  });

  const code = await codeFor();
  const granted = await token(exchange(code));
  assert.equal(granted.statusCode, 200);
  const body = (await granted.body.json()) as Record<string, unknown>;
  assert.equal(body['token_type'], 'Bearer');
  assert.equal(body['scope'], 'identify');
  const again = await token(exchange(code));
  assert.equal(again.statusCode, 400, 'a code works once');
  await again.body.dump();

  const me = await request(`${fake.apiUrl}/v10/users/@me`, {
    headers: { authorization: `Bearer ${String(body['access_token'])}` },
  });
  assert.equal(me.statusCode, 200);
  assert.equal(((await me.body.json()) as { id: string }).id, MEMBER.id);
  const revoked = await request(`${fake.apiUrl}/v10/oauth2/token/revoke`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${fake.applicationId}:${fake.oauth.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token: String(body['access_token']) }).toString(),
  });
  assert.equal(revoked.statusCode, 200);
  await revoked.body.dump();
  const after = await request(`${fake.apiUrl}/v10/users/@me`, {
    headers: { authorization: `Bearer ${String(body['access_token'])}` },
  });
  assert.equal(after.statusCode, 401);
  assert.deepEqual(await after.body.json(), { message: '401: Unauthorized', code: 0 });

  fake.oauth.consent.mode = 'deny';
  try {
    const denied = await authorize(base);
    await denied.body.dump();
    const back = new URL(String(denied.headers['location']));
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), 's1');
  } finally {
    fake.oauth.consent.mode = 'auto';
  }
});
