// Every command module the bot serves. The bot and `npm run register` both read this list through
// src/discord/loader.ts, so what is registered and what is answered can never disagree.
import type { Command } from '../src/discord/command.ts';
import help from './help.ts';
import link from './link.ts';
import unlink from './unlink.ts';
import upload from './upload.ts';
import uploadMessage from './upload-message.ts';
import video from './video.ts';
import favorite from './favorite.ts';
import unfavorite from './unfavorite.ts';
import favorites from './favorites.ts';
import deleteVideo from './delete.ts';
import playlist from './playlist.ts';
import server from './server.ts';

export const commands: readonly Command[] = [
  help,
  link,
  unlink,
  upload,
  uploadMessage,
  video,
  favorite,
  unfavorite,
  favorites,
  deleteVideo,
  playlist,
  server,
];
