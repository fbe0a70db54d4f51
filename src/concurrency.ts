/**
 * A gate that lets at most `width` tasks run at once; the others wait their turn, in order. For work that
 * arrives from many call sites, such as file reads during an evaluation: 10,000 systems must not open
 * 30,000 files at once (EMFILE).
 */
export function gate(width: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= width) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** Runs `task` over `items`, at most `width` at a time, and returns the results in the items' order. */
export async function limited<T, R>(items: T[], task: (item: T) => Promise<R>, width = 10): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!);
      }
    }),
  );
  return results;
}
