// The registered command definitions carry Discord's localizations for every language the bot speaks,
// and the Discord fake refuses what Discord refuses (unknown locale keys, texts over 100 characters).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DiscordAPIError, REST, Routes } from 'discord.js';
import { FakeDiscord } from './fakes/discord.ts';
import { loadCommands } from '../src/discord/loader.ts';
import { TRANSLATED } from '../src/i18n/index.ts';

const GUILD = { id: '800000000000000091', name: 'Welt', ownerId: '700000000000000091' };

let discord: FakeDiscord;
let rest: REST;

before(async () => {
  discord = await FakeDiscord.start({ guilds: [GUILD] });
  rest = new REST({ api: discord.apiUrl }).setToken(discord.botToken);
});

after(async () => {
  await discord.close();
});

type Node = {
  name: string;
  description?: string;
  description_localizations?: Record<string, string>;
  options?: Node[];
  choices?: { name: string; name_localizations?: Record<string, string> }[];
};

test('every registered description and choice name carries all five translations; names stay English', async () => {
  const served = loadCommands().definitions();
  await rest.put(Routes.applicationGuildCommands(discord.applicationId, GUILD.id), { body: served });
  const registered = (discord.commands.guild.get(GUILD.id) ?? []) as unknown as Node[];
  assert.equal(registered.length, served.length);
  const languages = [...TRANSLATED].sort();
  assert.deepEqual(languages, ['de', 'es-ES', 'fr', 'ja', 'pt-BR']);
  let checked = 0;
  const walk = (node: Node, path: string) => {
    if (node.description) {
      assert.deepEqual(
        Object.keys(node.description_localizations ?? {}).sort(),
        languages,
        `${path} description`,
      );
      checked++;
    }
    for (const choice of node.choices ?? []) {
      // The language choices read as each language names itself (Deutsch, 日本語), for everyone.
      if (path.endsWith(' language') && choice.name !== "the server's language") continue;
      assert.deepEqual(
        Object.keys(choice.name_localizations ?? {}).sort(),
        languages,
        `${path} ${choice.name}`,
      );
      checked++;
    }
    assert.equal(
      (node as Record<string, unknown>)['name_localizations'],
      undefined,
      `${path}: the name stays`,
    );
    for (const option of node.options ?? []) walk(option, `${path} ${option.name}`);
  };
  for (const command of registered) walk(command, command.name);
  assert.ok(checked > 100, `${checked} texts checked`);

  const upload = registered.find((c) => c.name === 'upload');
  assert.equal(
    upload?.description_localizations?.['de'],
    'Lade ein Video auf deinen YouTube-Kanal hoch (als Anhang oder beliebig groß über den Browser)',
  );
  const privacy = upload?.options?.find((o) => o.name === 'privacy');
  assert.equal(privacy?.choices?.find((c) => c.name === 'unlisted')?.name_localizations?.['ja'], '限定公開');
});

test('the fake refuses a locale Discord does not know and a localized description over 100 characters', async () => {
  const body = (localizations: Record<string, string>) => [
    { name: 'probe', description: 'A probe', type: 1, description_localizations: localizations },
  ];
  const refusal = async (localizations: Record<string, string>) => {
    const error = await rest
      .put(Routes.applicationGuildCommands(discord.applicationId, GUILD.id), { body: body(localizations) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof DiscordAPIError, 'refused');
    return JSON.stringify(error.rawError);
  };
  assert.match(await refusal({ pt_BR: 'Uma sonda' }), /"pt_BR":\{"_errors":\[\{"code":"BASE_TYPE_CHOICES"/);
  assert.match(await refusal({ de: 'x'.repeat(101) }), /"de":\{"_errors":\[\{"code":"BASE_TYPE_BAD_LENGTH"/);
  await rest.put(Routes.applicationGuildCommands(discord.applicationId, GUILD.id), {
    body: body({ de: 'Eine Sonde', 'es-419': 'Una sonda' }),
  });
});
