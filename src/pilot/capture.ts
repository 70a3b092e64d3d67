/** Whether cutting before index i would split a surrogate pair (half an emoji). */
function splitsPair(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return i > 0 && i < s.length && c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Output of one job, kept within a budget of characters: the beginning and the end are kept (errors usually
 * show at the end), the middle is replaced by a note of how much was dropped. Cuts never split a character.
 */
export class CappedOutput {
  private head = "";
  private tail = "";
  private dropped = 0;
  private readonly headRoom: number;
  private readonly tailRoom: number;

  constructor(limit: number) {
    this.headRoom = Math.max(1, Math.ceil(limit / 2));
    this.tailRoom = Math.max(0, limit - this.headRoom);
  }

  append(chunk: string): void {
    if (this.tail.length === 0 && this.dropped === 0 && this.head.length < this.headRoom) {
      let cut = Math.min(chunk.length, this.headRoom - this.head.length);
      if (splitsPair(chunk, cut)) cut--;
      this.head += chunk.slice(0, cut);
      chunk = chunk.slice(cut);
      if (chunk.length === 0) return;
    }
    this.tail += chunk;
    if (this.tail.length > this.tailRoom) {
      let cut = this.tail.length - this.tailRoom;
      if (splitsPair(this.tail, cut)) cut++;
      this.dropped += cut;
      this.tail = this.tail.slice(cut);
    }
  }

  text(): string | undefined {
    if (this.head.length === 0) return undefined;
    if (this.dropped === 0) return this.head + this.tail;
    return `${this.head}\n[… ${this.dropped} characters of output dropped …]\n${this.tail}`;
  }
}
