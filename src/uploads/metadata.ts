// Builds the video resource from what a member typed, checking YouTube's documented limits first
// so a mistake costs one clear sentence instead of a failed upload and a quota unit.
import { UserError } from '../errors.ts';
import type { VideoMetadata } from '../google/resumable.ts';

export type Privacy = 'public' | 'unlisted' | 'private';
export const PRIVACIES: readonly Privacy[] = ['public', 'unlisted', 'private'];
export const DEFAULT_CATEGORY = '22'; // People & Blogs, as in the reference script

export const LIMITS = { title: 100, descriptionBytes: 5000, tags: 500 } as const;

export interface UploadInput {
  readonly filename: string;
  readonly title?: string | null | undefined;
  readonly description?: string | null | undefined;
  /** Comma-separated, as the reference script's --keywords. */
  readonly tags?: string | null | undefined;
  readonly categoryId?: string | null | undefined;
  readonly privacy?: string | null | undefined;
  /** ISO 8601; without a time zone it is read as UTC. */
  readonly publishAt?: string | null | undefined;
  readonly madeForKids?: boolean | null | undefined;
}

export interface UploadDefaults {
  readonly privacy: Privacy;
  readonly categoryId: string;
}

/** A title from a file name: "my_trip-2024.final.mp4" → "my trip 2024.final". */
export function titleFromFilename(filename: string): string {
  const base = filename
    .replace(/\.[A-Za-z0-9]{1,5}$/, '')
    .replace(/[_-]+/g, ' ')
    .replace(/[<>]/g, '')
    .trim();
  return [...(base || 'Untitled video')].slice(0, LIMITS.title).join('');
}

/** Tags as YouTube counts them: commas between tags count, a tag with a space counts as quoted. */
export function tagsLength(tags: readonly string[]): number {
  return (
    tags.reduce((sum, tag) => sum + [...tag].length + (tag.includes(' ') ? 2 : 0), 0) +
    Math.max(0, tags.length - 1)
  );
}

export function parseTags(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** Parses a publish time; a value without a zone is UTC. Returns undefined when unreadable. */
export function parsePublishAt(text: string): Date | undefined {
  const trimmed = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(trimmed))
    return undefined;
  let iso = trimmed.replace(' ', 'T');
  if (!/T/.test(iso)) iso += 'T00:00';
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) iso += 'Z';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export interface BuiltMetadata {
  readonly metadata: VideoMetadata;
  readonly requestedPrivacy: Privacy;
}

/** Checks every field and builds the video resource, or throws one UserError sentence. */
export function buildMetadata(input: UploadInput, defaults: UploadDefaults, now = new Date()): BuiltMetadata {
  const title = input.title?.trim() ? input.title.trim() : titleFromFilename(input.filename);
  if ([...title].length > LIMITS.title) {
    throw UserError.t('error.titleTooLong', { length: [...title].length, max: LIMITS.title });
  }
  if (/[<>]/.test(title)) throw UserError.t('error.titleAngle');

  const description = input.description?.trim() ?? '';
  const descriptionBytes = Buffer.byteLength(description, 'utf8');
  if (descriptionBytes > LIMITS.descriptionBytes) {
    throw UserError.t('error.descriptionTooLong', { bytes: descriptionBytes, max: LIMITS.descriptionBytes });
  }
  if (/[<>]/.test(description)) throw UserError.t('error.descriptionAngle');

  const tags = parseTags(input.tags ?? '');
  if (tags.some((t) => /[<>]/.test(t))) throw UserError.t('error.tagsAngle');
  const length = tagsLength(tags);
  if (length > LIMITS.tags) {
    throw UserError.t('error.tagsTooLong', { length, max: LIMITS.tags });
  }

  const categoryId = input.categoryId?.trim() || defaults.categoryId;
  if (!/^\d{1,4}$/.test(categoryId)) {
    throw UserError.t('error.categoryPick');
  }

  const asked = input.privacy?.trim().toLowerCase();
  if (asked && !(PRIVACIES as readonly string[]).includes(asked)) {
    throw UserError.t('error.privacyInvalid');
  }
  let privacy = (asked as Privacy | undefined) ?? defaults.privacy;

  let publishAt: string | undefined;
  if (input.publishAt?.trim()) {
    const when = parsePublishAt(input.publishAt);
    if (!when) {
      throw UserError.t('error.publishAtUnreadable');
    }
    if (when.getTime() <= now.getTime()) {
      throw UserError.t('error.publishAtPassed', { when: when.toISOString() });
    }
    if (asked && asked !== 'private') {
      throw UserError.t('error.scheduledPrivate');
    }
    privacy = 'private';
    publishAt = when.toISOString();
  }

  return {
    requestedPrivacy: privacy,
    metadata: {
      snippet: { title, description, ...(tags.length > 0 ? { tags } : {}), categoryId },
      status: {
        privacyStatus: privacy,
        ...(publishAt ? { publishAt } : {}),
        ...(input.madeForKids !== null && input.madeForKids !== undefined
          ? { selfDeclaredMadeForKids: input.madeForKids }
          : {}),
      },
    },
  };
}
