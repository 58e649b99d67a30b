// Everything a command needs arrives in this one object, built once in the composition root.
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Store } from './store/index.ts';
import type { Command } from './discord/command.ts';
import type { OAuthService } from './google/oauth.ts';
import type { UploadService } from './uploads/jobs.ts';
import type { Catalog } from './google/catalog.ts';
import type { Quota } from './google/quota.ts';
import type { SettingsRepository } from './store/settings.ts';
import type { Reviews } from './review/reviews.ts';
import type { Announcer } from './announce/announcer.ts';
import type { Dispatcher } from 'undici';
import type { PageLinks } from './uploads/page-links.ts';

export interface Context {
  readonly config: Config;
  readonly store: Store;
  readonly logger: Logger;
  /** Linking Google accounts and acting as them. */
  readonly oauth: OAuthService;
  /** Cached YouTube lists for autocomplete (categories, playlists). */
  readonly catalog: Catalog;
  /** The project's shared daily YouTube quota, counted per Pacific day. */
  readonly quota: Quota;
  /** Per-server settings. */
  readonly settings: SettingsRepository;
  /** Members' uploads to the server channel waiting for a moderator. */
  readonly reviews: Reviews;
  /** New videos announced in each server's chosen channel (status per server, a round on demand). */
  readonly announcer: Announcer;
  /** Upload page links (the capability /upload without a file answers with). */
  readonly pages: PageLinks;
  /** The upload queue. */
  readonly uploads: UploadService;
  /** The HTTP dispatcher for downloads (tests pass their own; undefined = undici's global one). */
  readonly dispatcher: Dispatcher | undefined;
  /** Every command the bot serves, for /help. */
  readonly commands: readonly Command[];
}
