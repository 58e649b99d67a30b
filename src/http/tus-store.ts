// The tus DataStore of the upload page: nothing is stored here. An upload is a job awaiting its file
// (created by /upload), its offset is what YouTube acknowledged, and each PATCH is relayed by the
// job's browser source (src/uploads/relay.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Readable } from 'node:stream';
import { DataStore, ERRORS, Upload } from '@tus/utils';
import type { JobRepository } from '../uploads/records.ts';
import { RelayRefusal, type Relay } from '../uploads/relay.ts';

/** What the route knows of the request before tus handles it. */
export interface TusRequestContext {
  readonly jobId: string;
  readonly owner: string;
  readonly contentLength: number | undefined;
}

/** One of tus's own refusals (plain objects) as an Error with the same status and body. */
const refusal = (e: { status_code: number; body: string }) => new RelayRefusal(e.status_code, e.body.trim());

export const tusRequest = new AsyncLocalStorage<TusRequestContext>();

/** Uploads expire (tus expiration) a week after their job was created, finished or not. */
const EXPIRATION_MS = 7 * 24 * 3600 * 1000;

export interface RelayStoreDeps {
  readonly jobs: JobRepository;
  readonly relay: Relay;
  begin(jobId: string, file: { size: number; filename: string }): Promise<unknown>;
  cancel(jobId: string, owner: string): Promise<unknown>;
}

export class RelayStore extends DataStore {
  private readonly deps: RelayStoreDeps;

  constructor(deps: RelayStoreDeps) {
    super();
    this.deps = deps;
    this.extensions = ['creation', 'termination', 'expiration'];
  }

  private context(id: string): TusRequestContext {
    const context = tusRequest.getStore();
    // The route checked the id against the link; anything else is refused here too.
    if (!context || context.jobId !== id) throw refusal(ERRORS.FILE_NOT_FOUND);
    return context;
  }

  override async create(upload: Upload): Promise<Upload> {
    this.context(upload.id);
    const size = upload.size ?? 0;
    const filename = (upload.metadata?.['filename'] ?? '').trim().slice(0, 255) || 'video';
    if (!Number.isSafeInteger(size) || size <= 0) throw new RelayRefusal(400, 'The file is empty.');
    const job = await this.deps.begin(upload.id, { size, filename });
    if (!job)
      throw new RelayRefusal(409, 'This link already has its file: choose the same file to continue.');
    return upload;
  }

  override async getUpload(id: string): Promise<Upload> {
    this.context(id);
    const job = await this.deps.jobs.get(id);
    if (!job || job.source.kind !== 'browser' || job.status === 'awaiting')
      throw refusal(ERRORS.FILE_NOT_FOUND);
    if (job.status === 'failed' || job.status === 'cancelled') throw refusal(ERRORS.FILE_NO_LONGER_EXISTS);
    const offset = await this.deps.relay.offset(job).catch(() => {
      throw new RelayRefusal(503, 'YouTube did not answer; the upload continues by itself.');
    });
    return new Upload({
      id,
      size: job.source.size,
      offset,
      metadata: { filename: job.source.filename },
      creation_date: new Date(job.createdAt).toISOString(),
    });
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const { contentLength } = this.context(id);
    return this.deps.relay.write(id, stream, offset, contentLength);
  }

  override async remove(id: string): Promise<void> {
    const { owner } = this.context(id);
    await this.deps.cancel(id, owner);
  }

  override getExpiration(): number {
    return EXPIRATION_MS;
  }
}
