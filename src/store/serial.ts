// One piece of async work at a time per key, in call order, within this process: what a
// read-modify-write against the store needs so two callers cannot interleave.

export type Serial = <T>(key: string, work: () => Promise<T>) => Promise<T>;

export function keyedSerial(): Serial {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(work);
    // The next caller waits for this one whether it succeeds or fails.
    const settled = run.catch(() => undefined);
    tails.set(key, settled);
    void settled.then(() => {
      if (tails.get(key) === settled) tails.delete(key);
    });
    return run;
  };
}
