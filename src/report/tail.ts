/**
 * The latest `limit` items of a stream and how many there were: what a report lists of a log it reads once,
 * an entry at a time, in memory that does not grow with the log. The limit may be lowered as the stream goes
 * (the timelines share a budget among the systems they find); what is kept is then the latest of the lower.
 */
export class Tail<T> {
  private items: T[] = [];
  /** Every item pushed, listed or not. */
  count = 0;

  constructor(private limit: number) {}

  push(item: T): void {
    this.count++;
    this.items.push(item);
    // Cut in batches, not one shift per item: at most twice the limit is held.
    if (this.items.length > 2 * this.limit) this.items = this.list();
  }

  lower(limit: number): void {
    if (limit >= this.limit) return;
    this.limit = limit;
    this.items = this.list();
  }

  /** The latest items, oldest first. */
  list(): T[] {
    return this.items.slice(Math.max(0, this.items.length - this.limit));
  }

  /** How many were pushed and are not listed. */
  get earlier(): number {
    return this.count - Math.min(this.count, this.limit);
  }
}

/** The first `limit` items of a stream and how many there were (the sample of a sentence: "#4, #9, …"). */
export class Head<T> {
  readonly items: T[] = [];
  count = 0;

  constructor(private readonly limit: number) {}

  push(item: T): void {
    if (this.count++ < this.limit) this.items.push(item);
  }
}

/**
 * The latest `limit` records of a few numbers each (a line of the log, and what goes with it) and how many
 * there were, in a ring allocated once: pushing allocates nothing, so nothing a long read keeps for a while
 * turns into garbage for the old generation (a million entries kept in turn, each for thousands of entries,
 * made the heap's saw-tooth the largest part of a report's memory).
 */
export class Ring {
  private readonly values: Float64Array;
  count = 0;

  constructor(
    private readonly capacity: number,
    private readonly width = 1,
    private limit = capacity,
  ) {
    this.values = new Float64Array(capacity * width);
  }

  push(a: number, b = 0, c = 0): void {
    const at = (this.count++ % this.capacity) * this.width;
    this.values[at] = a;
    if (this.width > 1) this.values[at + 1] = b;
    if (this.width > 2) this.values[at + 2] = c;
  }

  lower(limit: number): void {
    this.limit = Math.min(this.limit, limit);
  }

  /** The latest records, oldest first, each as its numbers. */
  list(): number[][] {
    const n = Math.min(this.count, this.limit);
    return Array.from({ length: n }, (_, i) => {
      const at = ((this.count - n + i) % this.capacity) * this.width;
      return Array.from(this.values.subarray(at, at + this.width));
    });
  }

  get earlier(): number {
    return this.count - Math.min(this.count, this.limit);
  }
}
