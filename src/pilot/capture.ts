/**
 * Output of one job, kept within a byte budget: the beginning and the end are kept (errors usually show at
 * the end), the middle is replaced by a note of how much was dropped.
 */
export class CappedOutput {
  private head = "";
  private tail = "";
  private dropped = 0;
  private readonly half: number;

  constructor(limit: number) {
    this.half = Math.max(1, Math.floor(limit / 2));
  }

  append(chunk: string): void {
    if (this.head.length < this.half) {
      const room = this.half - this.head.length;
      this.head += chunk.slice(0, room);
      chunk = chunk.slice(room);
      if (chunk.length === 0) return;
    }
    this.tail += chunk;
    if (this.tail.length > this.half) {
      this.dropped += this.tail.length - this.half;
      this.tail = this.tail.slice(this.tail.length - this.half);
    }
  }

  text(): string | undefined {
    if (this.head.length === 0) return undefined;
    if (this.dropped === 0) return this.head + this.tail;
    return `${this.head}\n[… ${this.dropped} characters of output dropped …]\n${this.tail}`;
  }
}
