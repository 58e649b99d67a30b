// The bot's languages: i18next over one JSON file per language in ./locales (flat keys), loaded
// synchronously at start. i18next does what string concatenation cannot: plural forms chosen by
// Intl.PluralRules for each language (`key_one`, `key_many`, `key_other`…), interpolation of
// `{{name}}`, and falling back to English for a key a language lacks. Adding a language is adding
// one file named by its Discord locale code (`ko.json`); nothing else lists them.
import { readdirSync, readFileSync } from 'node:fs';
import i18next, { type TOptions } from 'i18next';

export type Resources = Record<string, string>;

const LOCALES_DIR = new URL('./locales/', import.meta.url);

function loadResources(): Map<string, Resources> {
  const byLanguage = new Map<string, Resources>();
  for (const file of readdirSync(LOCALES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const parsed: unknown = JSON.parse(readFileSync(new URL(file, LOCALES_DIR), 'utf8'));
    byLanguage.set(file.slice(0, -'.json'.length), parsed as Resources);
  }
  if (!byLanguage.has('en')) throw new Error('src/i18n/locales/en.json is missing: English is the fallback');
  return byLanguage;
}

/** Every language's texts, as the files hold them (the checks read these). */
export const resources: ReadonlyMap<string, Resources> = loadResources();

/** The languages the bot speaks: English first, then the others in file order. */
export const LANGUAGES: readonly string[] = ['en', ...[...resources.keys()].filter((l) => l !== 'en')];

/** The languages besides English, the ones that need Discord localizations. */
export const TRANSLATED: readonly string[] = LANGUAGES.filter((l) => l !== 'en');

const instance = i18next.createInstance();
void instance.init({
  resources: Object.fromEntries([...resources].map(([lng, texts]) => [lng, { translation: texts }])),
  lng: 'en',
  fallbackLng: 'en',
  supportedLngs: [...LANGUAGES],
  // Keys are flat ("upload.started"): a command path may be both a text and the prefix of another.
  keySeparator: false,
  nsSeparator: false,
  initAsync: false,
  // Texts go to Discord (Markdown) and through the pages' own escaping, never raw into HTML.
  interpolation: { escapeValue: false },
  returnNull: false,
  returnEmptyString: false,
});

/**
 * Our language for a Discord locale (`de`, `fr`, `es-ES`, `pt-BR`, `ja`, `en-US`…) or a browser
 * language tag: the exact language when we have it, else one of ours with the same base language
 * (`es-419` → `es-ES`, `pt-PT` → `pt-BR`, `de-AT` → `de`), else English.
 */
export function languageOf(locale: string | null | undefined): string {
  if (!locale) return 'en';
  const exact = LANGUAGES.find((l) => l.toLowerCase() === locale.toLowerCase());
  if (exact) return exact;
  const base = locale.split('-')[0]?.toLowerCase();
  return LANGUAGES.find((l) => l.split('-')[0]?.toLowerCase() === base) ?? 'en';
}

/** The best of our languages for an `Accept-Language` header (its q-values respected). */
export function languageFromAcceptLanguage(header: string | undefined): string {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(r.tag) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    const language = languageOf(tag);
    if (language !== 'en' || tag.toLowerCase().startsWith('en')) return language;
  }
  return 'en';
}

export type Values = Record<string, string | number>;

/** The text `key` in the language for `locale`, with `values` filled in (`count` picks the plural form). */
export function t(locale: string | null | undefined, key: string, values: Values = {}): string {
  const options: TOptions = { ...values, lng: languageOf(locale) };
  const text = instance.t(key, options);
  if (typeof text !== 'string' || text === key) throw new Error(`No text for the key "${key}"`);
  return text;
}

/** Whether a text exists for `key` (in English, so in every language). */
export function hasText(key: string): boolean {
  return instance.exists(key, { lng: 'en' });
}

/** The text of `key` in exactly `language` (no English fallback), if that file has it. */
export function ownText(language: string, key: string): string | undefined {
  return resources.get(language)?.[key];
}
