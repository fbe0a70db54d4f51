/**
 * Items by key, each group in the items' order (Map.groupBy needs Node 21). Appends in place: a group is
 * never copied per item, which on a log of a million entries would be quadratic.
 */
export function groupBy<T, K>(items: Iterable<T>, key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
