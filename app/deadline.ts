/**
 * `promise`, or an error saying `what` did not happen in `ms` milliseconds, whichever comes first. A rejection
 * of `promise` after the deadline is handled (the race holds it), so it never surfaces as an unhandled one.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
