// Every command module the bot serves. The bot and `npm run register` both read this list through
// src/discord/loader.ts, so what is registered and what is answered can never disagree.
import type { Command } from '../src/discord/command.ts';
import help from './help.ts';
import link from './link.ts';
import unlink from './unlink.ts';
import upload from './upload.ts';
import uploadMessage from './upload-message.ts';

export const commands: readonly Command[] = [help, link, unlink, upload, uploadMessage];
