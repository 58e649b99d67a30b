// Everything a command needs arrives in this one object, built once in the composition root.
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Store } from './store/index.ts';
import type { Command } from './discord/command.ts';
import type { OAuthService } from './google/oauth.ts';

export interface Context {
  readonly config: Config;
  readonly store: Store;
  readonly logger: Logger;
  /** Linking Google accounts and acting as them. */
  readonly oauth: OAuthService;
  /** Every command the bot serves, for /help. */
  readonly commands: readonly Command[];
}
