// A job's progress message: views built from the job, edits serialized and throttled, and the
// Cancel button shown only while a cancel can still stop the upload.
import type { JobRecord } from './records.ts';
import { renderProgress, Throttle, type Phase, type ProgressView } from './progress.ts';
import type { ProgressSink } from './types.ts';

export type Show = (view: ProgressView, force?: boolean) => Promise<void>;

/** Phases in which a cancel can still keep the video from existing. */
const CANCELLABLE: readonly Phase[] = ['queued', 'starting', 'uploading', 'retrying', 'paused'];

export const isCancellable = (phase: Phase): boolean => CANCELLABLE.includes(phase);

export function jobView(job: JobRecord, phase: Phase, extra: Partial<ProgressView> = {}): ProgressView {
  return {
    phase,
    filename: job.source.filename,
    fromBrowser: job.source.kind === 'browser',
    title: job.metadata.snippet.title,
    total: job.source.size,
    sent: job.received,
    bytesPerSecond: undefined,
    locale: job.locale,
    ...extra,
  };
}

/** Edits are serialized; a newer text replaces one still waiting; `force` skips the throttle. */
export function createDisplay(sink: ProgressSink, intervalMs: number): Show {
  const throttle = new Throttle(intervalMs);
  let pending: { text: string; cancellable: boolean } | undefined;
  let drain: Promise<void> = Promise.resolve();
  return (view, force = false) => {
    if (!force && !throttle.allow(Date.now(), view.phase)) return drain;
    if (force) throttle.allow(Date.now(), view.phase);
    pending = { text: renderProgress(view), cancellable: isCancellable(view.phase) };
    drain = drain.then(async () => {
      const next = pending;
      pending = undefined;
      if (next) await sink.show(next.text, { cancellable: next.cancellable });
    });
    return drain;
  };
}
