// Coalesces the guest's UART output: the PL011 hands over one byte per MMIO exit, and
// a write to stdout per byte would cost more than the guest's work. Bytes collect in a
// buffer flushed once per event-loop turn (the vCPU loops yield every turn), so output
// appears promptly and in order; flush() drains it at the end of a run.

export class CoalescedOutput {
  private chunks: Uint8Array[] = [];
  private scheduled = false;

  constructor(private readonly sink: (bytes: Uint8Array) => void) {}

  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.chunks.length === 0) return;
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.chunks = [];
    this.sink(out);
  }
}
