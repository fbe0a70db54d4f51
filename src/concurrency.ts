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
