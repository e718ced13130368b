// A bounded FIFO of bytes in a ring buffer: O(1) push and shift, so a large paste into
// a device's input costs linear time, not quadratic (an array's shift() moves every
// element). Used for the PL011's pending input.

export class ByteQueue {
  private readonly ring: Uint8Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ring = new Uint8Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Appends one byte; false (and nothing stored) when full. */
  push(byte: number): boolean {
    if (this.count === this.capacity) return false;
    this.ring[(this.head + this.count) % this.capacity] = byte;
    this.count++;
    return true;
  }

  /** Puts bytes back at the front, in order (they were taken out earlier). */
  unshiftAll(bytes: readonly number[]): void {
    for (let i = bytes.length - 1; i >= 0; i--) {
      if (this.count === this.capacity) this.count--; // drop from the tail to make room
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.ring[this.head] = bytes[i] ?? 0;
      this.count++;
    }
  }

  shift(): number | undefined {
    if (this.count === 0) return undefined;
    const b = this.ring[this.head];
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return b;
  }
}
