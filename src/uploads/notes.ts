// The sentences under an upload's progress and result (a playlist step that failed, a thumbnail set, a
// privacy YouTube forced…). The job record keeps each as a text key with its values, never as a sentence:
// whoever draws the message draws it in the member's language, and the services stay free of languages.
// A record saved before notes had keys holds its English sentence (a plain string): shown as it is.
import { classifyError } from '../errors.ts';
import { t, type Values } from '../i18n/index.ts';

/** A note by key (src/i18n/locales), with its values; `texts` are values that are notes themselves. */
export interface NoteText {
  readonly key: string;
  readonly values?: Values | undefined;
  /** Values drawn in the same language first: a reason, a privacy. */
  readonly texts?: Readonly<Record<string, Note>> | undefined;
}

/** A note: by key, or (records saved before keys existed) an English sentence. */
export type Note = string | NoteText;

export function note(key: string, values?: Values, texts?: Record<string, Note>): NoteText {
  return { key, ...(values ? { values } : {}), ...(texts ? { texts } : {}) };
}

/** The note in the language of `locale` (a Discord locale); an English sentence stays as it is. */
export function noteText(locale: string | null | undefined, value: Note): string {
  if (typeof value === 'string') return value;
  const drawn: Values = {};
  for (const [name, inner] of Object.entries(value.texts ?? {})) drawn[name] = noteText(locale, inner);
  return t(locale, value.key, { ...value.values, ...drawn });
}

/**
 * What an error says to the member, as a note: its sentence by key when it has one (Google's reasons, a
 * dropped connection, a UserError made with a key), else its own sentence. The reference id of an
 * unexpected error comes with it, for the log.
 */
export function errorNote(error: unknown): { note: Note; referenceId: string | undefined } {
  const classified = classifyError(error);
  return { note: classified.text ?? classified.message, referenceId: classified.referenceId };
}
