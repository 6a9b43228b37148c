/** A growable FIFO of bytes (host-side input queues); pushing grows, popping never allocates. */
export class ByteQueue {
  private buf: Uint8Array;
  private head = 0;
  private count = 0;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
  }

  /** Number of queued bytes. */
  get length(): number {
    return this.count;
  }

  /** Append one byte. */
  push(byte: number): void {
    if (this.count === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      for (let i = 0; i < this.count; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
      this.buf = next;
      this.head = 0;
    }
    this.buf[(this.head + this.count) % this.buf.length] = byte;
    this.count++;
  }

  /** Remove and return the oldest byte; -1 when empty. */
  shift(): number {
    if (this.count === 0) return -1;
    const b = this.buf[this.head];
    this.head = (this.head + 1) % this.buf.length;
    this.count--;
    return b;
  }

  /** The oldest byte without removing it; -1 when empty. */
  peek(): number {
    return this.count === 0 ? -1 : this.buf[this.head];
  }

  /** Drop everything. */
  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  /** Contents, oldest first (for snapshots). */
  toArray(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.buf[(this.head + i) % this.buf.length]);
    return out;
  }
}
