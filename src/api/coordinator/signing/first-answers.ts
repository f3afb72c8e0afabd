/**
 * Ask everyone, keep the first `needed` answers. The rest are aborted: a signing round must
 * not wait for its slowest signer when any t of n will do.
 */
export interface Answer<K, T> {
  key: K;
  value: T;
}

export interface FirstAnswersResult<K, T> {
  answers: Answer<K, T>[];
  /** Keys that failed or timed out before enough answers arrived, with why. */
  failures: { key: K; reason: string }[];
  /** Keys whose answer arrived but was not acceptable (a bad signature): culprits. */
  rejected: Answer<K, T>[];
}

export async function firstAnswers<K, T>(
  keys: readonly K[],
  needed: number,
  timeoutMs: number,
  ask: (key: K, signal: AbortSignal) => Promise<T>,
  accept: (key: K, value: T) => boolean = () => true,
): Promise<FirstAnswersResult<K, T>> {
  // A plain timer, not AbortSignal.any([AbortSignal.timeout()]): on Node 20 the composed
  // signal holds its sources weakly and a collected timeout signal never fires.
  const controller = new AbortController();
  const deadline = controller.signal;
  const timer = setTimeout(
    () => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  const answers: Answer<K, T>[] = [];
  const failures: { key: K; reason: string }[] = [];
  const rejected: Answer<K, T>[] = [];
  await new Promise<void>((resolve) => {
    let settled = 0;
    const done = () => {
      if (answers.length >= needed || settled === keys.length) resolve();
    };
    if (keys.length === 0) resolve();
    for (const key of keys) {
      ask(key, deadline).then(
        (value) => {
          if (answers.length < needed) {
            (accept(key, value) ? answers : rejected).push({ key, value });
          }
          settled++;
          done();
        },
        (error: unknown) => {
          if (answers.length < needed) failures.push({ key, reason: describe(error, deadline) });
          settled++;
          done();
        },
      );
    }
  });
  clearTimeout(timer);
  controller.abort(new DOMException('enough answers', 'AbortError'));
  return { answers, failures, rejected };
}

function describe(error: unknown, signal: AbortSignal): string {
  const reason = signal.aborted ? (signal.reason as Error | undefined) : undefined;
  if (reason?.name === 'TimeoutError') return reason.message;
  return (error as Error)?.message ?? String(error);
}
