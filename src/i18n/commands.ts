// Discord's localizations for the command definitions: every description and choice name gets
// `description_localizations` / `name_localizations` for each language we speak. Command and option
// names stay English (members share them across languages). The English texts stay in the command
// modules; the resource files hold them too, under `cmd.<command>.<option>….description` and
// `cmd.<…>.choices.<value>`, where a text shared by many options is written once under a wildcard
// (`cmd.*.account.description`, `cmd.playlist.*.video.description`). The checks make sure the English
// in the files is exactly the English in the modules, so a translation never describes another text.
import { hasText, ownText, t, TRANSLATED } from './index.ts';

/** The resource keys a definition text at `path` (command, options…, then `description` or `choices.<v>`) may have. */
export function commandTextKeys(path: readonly string[]): string[] {
  const tailLength = path.at(-2) === 'choices' ? 3 : 2;
  const tail = path.slice(-tailLength);
  const keys = [`cmd.${path.join('.')}`];
  if (path.length > tailLength + 1) keys.push(`cmd.${path[0] ?? ''}.*.${tail.join('.')}`);
  if (path.length > tailLength) keys.push(`cmd.*.${tail.join('.')}`);
  return keys;
}

/** The key that holds the text at `path`, if any file has one. */
export function commandTextKey(path: readonly string[]): string | undefined {
  return commandTextKeys(path).find((key) => hasText(key));
}

function localizations(path: readonly string[]): Record<string, string> | undefined {
  const key = commandTextKey(path);
  if (key === undefined) return undefined;
  const entries = TRANSLATED.flatMap((language) => {
    const text = ownText(language, key);
    return text === undefined ? [] : [[language, text] as const];
  });
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

interface Localizable {
  name: string;
  description?: string;
  options?: readonly Localizable[];
  choices?: readonly { name: string; value: string | number }[];
}

function localizeNode<T extends Localizable>(node: T, path: readonly string[]): T {
  const out: Record<string, unknown> = { ...(node as Localizable) };
  if (typeof node.description === 'string' && node.description.length > 0) {
    const found = localizations([...path, 'description']);
    if (found) out['description_localizations'] = found;
  }
  // A choice without a text of its own stays as it is: the language choices are each language's own
  // name (Deutsch, 日本語), the same for every reader, as in Discord's own language list.
  if (node.choices) {
    out['choices'] = node.choices.map((choice) => {
      const found = localizations([...path, 'choices', String(choice.value)]);
      return found ? { ...choice, name_localizations: found } : choice;
    });
  }
  if (node.options) {
    out['options'] = node.options.map((option) => localizeNode(option, [...path, option.name]));
  }
  return out as T;
}

/** The definition with Discord's localizations added for every language (names left as they are). */
export function localizeCommand<T extends { name: string }>(data: T): T {
  return localizeNode(data as T & Localizable, [data.name]);
}

/** A definition text in the language of `locale` (a Discord locale); `english` when no file has it. */
export function commandText(
  locale: string | null | undefined,
  path: readonly string[],
  english: string,
): string {
  const key = commandTextKey(path);
  return key === undefined ? english : t(locale, key);
}
