// The guest's UART output to the page: the PL011 hands over one byte per MMIO exit, and
// one postMessage per byte would cost more than the guest's work. Bytes collect and go
// out at most every FLUSH_MS (a frame), or at once past HIGH_WATER bytes.

const FLUSH_MS = 16;
const HIGH_WATER = 64 * 1024;

export class OutputBatcher {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sink: (bytes: Uint8Array) => void) {}

  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
    this.size += bytes.length;
    if (this.size >= HIGH_WATER) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.size === 0) return;
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.chunks = [];
    this.size = 0;
    this.sink(out);
  }
}
