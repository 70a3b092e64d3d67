/**
 * One write at a time, each carrying every item added while the one before was in flight (group commit): at
 * low load each item is written at once, alone; under load, hundreds share one write. `add` resolves once a
 * write that included its item has completed, and rejects if that write failed.
 */
export class CoalescedWrites<T> {
  private next: { items: T[]; done: Promise<void>; settle: (err?: unknown) => void } | undefined;
  private writing = false;

  constructor(private readonly write: (items: readonly T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    if (!this.next) {
      let settle!: (err?: unknown) => void;
      const done = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
      this.next = { items: [], done, settle };
    }
    this.next.items.push(item);
    const { done } = this.next;
    void this.drain();
    return done;
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.next) {
        const batch = this.next;
        this.next = undefined;
        try {
          await this.write(batch.items);
          batch.settle();
        } catch (err) {
          batch.settle(err ?? new Error("the write failed"));
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
