// Public data shapes of the Google fake: accounts, stored videos, playlists, upload sessions, options.

/** A YouTube channel owned by a fake Google account. */
export interface FakeChannel {
  /** 'UC' + 22 characters, as YouTube channel ids look. */
  id: string;
  /** Channel title shown in snippets. */
  title: string;
  /** URL used for the channel's thumbnails. */
  thumbnailUrl: string;
}

/** A Google account; `channel: null` is an account that never created a YouTube channel. */
export interface FakeAccount {
  /** The Google `sub` (21 digits). */
  id: string;
  /** The account's email address. */
  email: string;
  /** Its YouTube channel, or null: uploads answer 401 youtubeSignupRequired, channels.list mine=true is empty. */
  channel: FakeChannel | null;
}

/** Options of FakeGoogle.start(). */
export interface StartOptions {
  /** The registered OAuth client id (default a random '….apps.googleusercontent.com'). */
  clientId?: string;
  /** The client secret (default a random 'GOCSPX-…'). */
  clientSecret?: string;
  /** Registered redirect URIs, compared exactly (more with addRedirectUri). */
  redirectUris?: string[];
  /** Lifetime of access tokens in seconds (default 3599, Google's). */
  accessTokenTtlSec?: number;
  /** Daily quota of the project: shared units (default 10,000) and the videos.insert bucket (default 100). */
  quota?: { units?: number; inserts?: number };
  /** True: the project is unaudited, uploads end private whatever was asked (default false). */
  unverifiedProject?: boolean;
}

/** The writable fields of a video's snippet, as last set by insert/update (update replaces the whole object). */
export interface VideoSnippet {
  title: string;
  description: string;
  tags?: string[];
  categoryId: string;
  defaultLanguage?: string;
  defaultAudioLanguage?: string;
}

/** The writable fields of a video's status, as last set by insert/update. */
export interface VideoStatus {
  privacyStatus: 'public' | 'private' | 'unlisted';
  publishAt?: string;
  license: 'youtube' | 'creativeCommon';
  embeddable: boolean;
  publicStatsViewable: boolean;
  selfDeclaredMadeForKids?: boolean;
  containsSyntheticMedia?: boolean;
}

/** How the processing of an uploaded video ends, and after how many polls. */
export interface ProcessingPlan {
  /** Owner polls (videos.list with part processingDetails or status) that still answer 'processing'. */
  pollsBeforeDone: number;
  /** Final outcome once the polls are used up. */
  outcome: 'succeeded' | 'failed' | 'rejected';
  /** failureReason (e.g. 'codec', 'conversion') or rejectionReason (e.g. 'duplicate', 'copyright'); defaults per outcome. */
  reason: string | null;
}

/** A stored video with its upload record. */
export interface FakeVideo {
  /** 11-character video id. */
  id: string;
  /** Channel that uploaded it. */
  ownerChannelId: string;
  /** Writable snippet fields. */
  snippet: VideoSnippet;
  /** Writable status fields (privacyStatus is the effective one: 'private' when locked). */
  status: VideoStatus;
  /** The privacy the uploader asked for at insert time (before the unverified-project lock). */
  requestedPrivacyStatus: VideoStatus['privacyStatus'];
  /** True when uploaded through an unverified project: the video stays private, updates cannot change that. */
  lockedPrivate: boolean;
  /** ISO time of the upload. */
  publishedAt: string;
  /** Bytes stored. */
  size: number;
  /** Hex sha256 of the stored bytes. */
  sha256: string;
  /** Media type of the upload (X-Upload-Content-Type or the media part's type). */
  contentType: string;
  /** The notifySubscribers query parameter of the insert (default true). */
  notifySubscribers: boolean;
  /** Protocol used to upload it ('seeded' for videos made with addVideo). */
  uploadType: 'resumable' | 'multipart' | 'media' | 'seeded';
  /** Owner polls seen so far (videos.list with processingDetails or status). */
  processingPolls: number;
  /** How processing proceeds; change with FakeGoogle.setProcessing. */
  processing: ProcessingPlan;
  /** The custom thumbnail set with thumbnails.set, if any. */
  thumbnail: { contentType: string; size: number; sha256: string } | null;
  /**
   * True for a Short (vertical, up to 3 minutes). The Data API has no field for it; the channel's public feed
   * links a Short as https://www.youtube.com/shorts/ID instead of /watch?v=ID.
   */
  short?: boolean;
  /** Set for a live broadcast: snippet.liveBroadcastContent and the liveStreamingDetails part follow it. */
  live?: FakeLive;
}

/** A live broadcast's state: scheduled ('upcoming'), on air ('live') or over ('completed', kept as a video). */
export interface FakeLive {
  phase: 'upcoming' | 'live' | 'completed';
  /** ISO times, as liveStreamingDetails shows them. */
  scheduledStartTime: string;
  actualStartTime?: string;
  actualEndTime?: string;
}

/**
 * How a playlist is ordered (YouTube Studio → playlist → Sort). Only a manually sorted playlist accepts a
 * position in playlistItems.insert/update; the others answer 400 manualSortRequired and place new entries
 * themselves (date added, newest first: at the top; oldest first: at the end). Studio's other orders
 * (popularity, date published) are not modelled.
 */
export type PlaylistSort = 'manual' | 'dateAddedNewest' | 'dateAddedOldest';

/** A user playlist. Item order lives in `itemIds` (position = index). */
export interface FakePlaylist {
  /** 'PL' + 32 characters. */
  id: string;
  /** Owning channel. */
  ownerChannelId: string;
  /** Writable snippet fields (update replaces them). */
  snippet: { title: string; description: string; tags?: string[]; defaultLanguage?: string };
  /** Writable status. */
  status: { privacyStatus: 'public' | 'private' | 'unlisted' };
  /** ISO creation time. */
  publishedAt: string;
  /** Playlist item ids in position order. */
  itemIds: string[];
  /** How YouTube orders it ('manual' by default; change with FakeGoogle.setPlaylistSort). */
  sort: PlaylistSort;
}

/** An entry of a user playlist; its position is its index in the playlist's itemIds. */
export interface FakePlaylistItem {
  /** Opaque playlist item id. */
  id: string;
  /** Playlist it belongs to. */
  playlistId: string;
  /** The video it points at (the video may since have been deleted). */
  videoId: string;
  /** ISO time it was added. */
  publishedAt: string;
  /** contentDetails.note, if set. */
  note?: string;
}

/** A resumable upload session (POST …?uploadType=resumable). */
export interface UploadSession {
  /** The upload_id of the session URI. */
  id: string;
  /** The session URI exactly as returned in Location. */
  url: string;
  /** X-Upload-Content-Length, or null while unknown (learned from a Content-Range `/TOTAL`). */
  total: number | null;
  /** Bytes stored (committed); the next PUT must start here. */
  received: number;
  /** Channel that will own the video. */
  ownerChannelId: string;
  /** Account that created the session. */
  accountId: string;
  /** The validated video metadata of the initial POST (only the parts named in `part`). */
  metadata: { snippet: VideoSnippet; status: VideoStatus };
  /** The `part` list of the initial POST (also shapes the final answer). */
  parts: string[];
  /** X-Upload-Content-Type (default application/octet-stream). */
  contentType: string;
  /** notifySubscribers of the initial POST. */
  notifySubscribers: boolean;
  /** Creation time (fake clock, ms). */
  createdAt: number;
  /** Set by expireSession: the session then answers this status (the documented "start again" signal). */
  expired: 404 | 410 | null;
  /** True once every byte arrived and the video exists. */
  done: boolean;
  /** The created video's id once done. */
  videoId: string | null;
  /** Temp file holding the stored bytes (deleted on completion). */
  filePath: string;
}

/** One recorded HTTP request (bodies are not kept). */
export interface RequestRecord {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Status answered; 0 while pending or when the connection was dropped without an answer. */
  status: number;
  /** Request body bytes the fake read. */
  bytes: number;
}

/**
 * What a fault-injection rule matches: HTTP method (any when absent), a regex tested on the path and on path+query,
 * and (when given) a regex the request's Content-Range must match — e.g. one chunk of a resumable session.
 */
export interface FailMatch {
  method?: string;
  path: RegExp;
  contentRange?: RegExp;
}

/** What an injected fault does. */
export type FailAction =
  | { status: number; reason?: string; message?: string; headers?: Record<string, string> }
  | { dropAfterBytes: number }
  | { keepBytes: number }
  | { delayMs: number }
  | { holdAnswerMs: number }
  | { holdAnswerUntil: Promise<unknown> };

/** One recorded visit of the authorization endpoint. */
export interface AuthRequestRecord {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  accessType: string | null;
  prompt: string | null;
  includeGrantedScopes: boolean;
  loginHint: string | null;
  /** What the fake answered. */
  outcome: 'code' | 'denied' | 'page' | 'error';
}
