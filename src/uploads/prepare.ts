// Everything checked before a single byte moves to YouTube: a linked account, an allowed host, a
// real video by content, the size limit and YouTube's metadata limits. Each failure is one sentence.
import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { UserError } from '../errors.ts';
import { formatBytes } from '../i18n/format.ts';
import { t } from '../i18n/index.ts';
import type { OAuthService } from '../google/oauth.ts';
import { allowedUrl, readHead } from './download.ts';
import { buildMetadata, type UploadDefaults, type UploadInput } from './metadata.ts';
import type { JobRecord, SourceFile } from './records.ts';
import { SNIFF_BYTES, sniffImage, sniffVideo } from './sniff.ts';

/** An attachment as Discord described it: nothing here is trusted until checked. */
export interface AttachmentInput {
  readonly url: string;
  readonly filename: string;
  readonly size: number;
}

export interface UploadRequest extends UploadInput {
  readonly owner: string;
  /** The member's Discord locale (`interaction.locale`): their progress and pages speak it. */
  readonly locale?: string | undefined;
  /** Whose channel receives it (the member's id, or the server's grant owner); default the member's. */
  readonly account?: string | undefined;
  /** A member's upload to the server channel: private until a moderator approves it. */
  readonly reviewed?: boolean | undefined;
  readonly guildId: string | null;
  readonly channelId: string;
  /** Absent: the member sends the file from the upload page (a browser source, awaiting its file). */
  readonly file: AttachmentInput | undefined;
  /** The member's own attachment limit (`attachment_size_limit`), when the file came with the command. */
  readonly sizeLimit: number | undefined;
  readonly thumbnail?: AttachmentInput | undefined;
  readonly playlistId?: string | null | undefined;
  readonly notifySubscribers?: boolean | null | undefined;
}

/** YouTube's limit for custom thumbnails. */
export const THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024;

export interface PrepareDeps {
  readonly oauth: OAuthService;
  readonly allowedHosts: readonly string[];
  readonly defaults: UploadDefaults & { readonly playlistId?: string | undefined };
  readonly dispatcher?: Dispatcher | undefined;
}

export async function prepareUpload(request: UploadRequest, deps: PrepareDeps): Promise<JobRecord> {
  const account = request.account ?? request.owner;
  await deps.oauth.requireGrant(account);
  const built = buildMetadata(request, deps.defaults);
  let { metadata } = built;

  const source: SourceFile = request.file
    ? await checkFile(request.file, request.sizeLimit, deps, 'video')
    : { kind: 'browser', url: '', filename: '', size: 0, mime: 'application/octet-stream' };
  const thumbnail = request.thumbnail
    ? await checkFile(request.thumbnail, THUMBNAIL_MAX_BYTES, deps, 'image')
    : undefined;
  let playlistId = request.playlistId?.trim() || deps.defaults.playlistId || undefined;
  if (playlistId !== undefined && !/^[A-Za-z0-9_-]{10,64}$/.test(playlistId)) {
    throw UserError.t('error.playlistPick');
  }
  let review: JobRecord['review'];
  if (request.reviewed) {
    // Uploaded private; the requested privacy, schedule and playlist apply on approval.
    review = { requestedPrivacy: built.requestedPrivacy, publishAt: metadata.status.publishAt, playlistId };
    const status = { ...metadata.status, privacyStatus: 'private' as const };
    delete status.publishAt;
    metadata = { ...metadata, status };
    playlistId = undefined;
  }

  const now = Date.now();
  return {
    id: randomBytes(9).toString('base64url'),
    owner: request.owner,
    ...(request.locale ? { locale: request.locale } : {}),
    account,
    review,
    guildId: request.guildId,
    channelId: request.channelId,
    source,
    thumbnail,
    metadata,
    requestedPrivacy: built.requestedPrivacy,
    notifySubscribers: request.notifySubscribers ?? true,
    playlistId,
    status: request.file ? 'queued' : 'awaiting',
    ...(request.file ? {} : { titleFromFile: !request.title?.trim() }),
    session: undefined,
    received: 0,
    videoId: undefined,
    progress: { reply: undefined, channelMessage: undefined },
    outcome: undefined,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * A file over its size limit. The sizes are numbers, written the way the reader's language writes them
 * when the sentence is drawn (`in`), not when it is thrown.
 */
class TooLarge extends UserError {
  readonly size: number;
  readonly limit: number;
  constructor(key: string, size: number, limit: number) {
    const values = { size: formatBytes('en', size), limit: formatBytes('en', limit) };
    super(t('en', key, values), { text: { key, values } });
    this.size = size;
    this.limit = limit;
  }
  override in(locale: string | null | undefined): string {
    const key = this.text?.key ?? '';
    return t(locale, key, { size: formatBytes(locale, this.size), limit: formatBytes(locale, this.limit) });
  }
}

async function checkFile(
  file: AttachmentInput,
  limit: number | undefined,
  deps: Pick<PrepareDeps, 'allowedHosts' | 'dispatcher'>,
  kind: 'video' | 'image',
): Promise<SourceFile> {
  // Each check names what was checked: `upload.file.*` for the video, `upload.thumbnail.*` for the image.
  const what = kind === 'video' ? 'upload.file' : 'upload.thumbnail';
  try {
    allowedUrl(file.url, deps.allowedHosts);
  } catch (error) {
    throw UserError.t(`${what}.notDiscord`, {}, { cause: error });
  }
  if (!Number.isSafeInteger(file.size) || file.size <= 0) throw UserError.t(`${what}.empty`);
  if (limit !== undefined && file.size > limit) throw new TooLarge(`${what}.tooLarge`, file.size, limit);
  const head = await readHead({
    url: file.url,
    n: Math.min(SNIFF_BYTES, file.size),
    allowedHosts: deps.allowedHosts,
    // A few hundred bytes: a CDN that takes longer than this will not carry the whole file either.
    signal: AbortSignal.timeout(20_000),
    ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
  }).catch((error: unknown) => {
    throw UserError.t(`${what}.unreadable`, {}, { cause: error });
  });
  const sniffed = kind === 'video' ? sniffVideo(head) : sniffImage(head);
  if (!sniffed) {
    throw kind === 'video'
      ? UserError.t('upload.file.notVideo', { name: `\`${file.filename.replace(/`/g, "'")}\`` })
      : UserError.t('upload.thumbnail.notImage');
  }
  return { url: file.url, filename: file.filename, size: file.size, mime: sniffed.mime };
}

/**
 * The video a member sent through Discord's form for an upload that awaited its file (the page's
 * alternative): checked exactly as an attachment of /upload — Discord's own servers, not empty, within
 * the member's limit, a video by its first bytes — and the title they typed, checked as YouTube wants it
 * (undefined when left empty). Each failure is one sentence.
 */
export async function prepareSentFile(
  file: AttachmentInput,
  sizeLimit: number | undefined,
  title: string | undefined,
  deps: Pick<PrepareDeps, 'allowedHosts' | 'dispatcher'>,
): Promise<{ source: SourceFile; title: string | undefined }> {
  const typed = title?.trim() || undefined;
  // The same checks as any title (length, no < >); the defaults do not matter for the title.
  if (typed)
    buildMetadata({ filename: file.filename, title: typed }, { privacy: 'public', categoryId: '22' });
  const source = await checkFile(file, sizeLimit, deps, 'video');
  return { source: { ...source, kind: 'attachment' }, title: typed };
}
