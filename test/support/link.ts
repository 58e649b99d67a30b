// Links a member the way a person does: /link, follow the button, Google's consent, the callback.
import assert from 'node:assert/strict';
import type { FakeDiscord, FakeUser } from '../fakes/discord.ts';
import type { FakeAccount, FakeGoogle } from '../fakes/google.ts';
import type { App } from '../../src/app.ts';
import { serverOwner } from '../../src/store/settings.ts';

export async function linkMember(
  discord: FakeDiscord,
  google: FakeGoogle,
  user: FakeUser,
  account: FakeAccount,
  guildId?: string,
): Promise<void> {
  const interaction = discord.sendCommand({ name: 'link', user, ...(guildId ? { guildId } : {}) });
  const data = (await interaction.response()).data as { components: { components: { url: string }[] }[] };
  const url = data.components[0]?.components[0]?.url;
  assert.ok(url, 'the /link reply has a button');
  google.consent.account = account;
  const toGoogle = await fetch(url, { redirect: 'manual' });
  const consent = await fetch(toGoogle.headers.get('location') ?? '', { redirect: 'manual' });
  const callback = await fetch(consent.headers.get('location') ?? '', { redirect: 'manual' });
  assert.equal(callback.status, 200, await callback.text());
  await interaction.waitForOriginal((m) => /Linked to/.test(m.content ?? ''));
}

/** Links a Google account as a server's own channel, through the same OAuth flow the bot uses. */
export async function linkServer(
  app: App,
  google: FakeGoogle,
  guildId: string,
  account: FakeAccount,
): Promise<void> {
  const { oauth } = app.ctx;
  const link = await oauth.start(serverOwner(guildId), undefined);
  const authUrl = await oauth.authorizationUrl(link.slice(link.lastIndexOf('/') + 1));
  assert.ok(authUrl);
  google.consent.account = account;
  const consent = await fetch(authUrl, { redirect: 'manual' });
  const outcome = await oauth.complete(new URL(consent.headers.get('location') ?? '').searchParams);
  assert.equal(outcome.kind, 'linked');
}
