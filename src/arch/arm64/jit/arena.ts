// Guest RAM in one shared WebAssembly.Memory, so compiled code (jit/) addresses guest
// bytes directly while the TypeScript side keeps viewing the same bytes through typed
// arrays (a shared memory's buffer is a SharedArrayBuffer that is never detached when
// the memory grows). The arena is a bump allocator that grows the memory on demand,
// so RAM stays lazily allocated; `maximum` is sized from the configured RAM.
// Per-CPU JIT state (register file, the TLB mirror the generated code probes) is
// allocated from the same arena, because a module imports exactly one memory.

const WASM_PAGE = 65536;
/** 4 GiB: the whole 32-bit wasm address space. */
const MAX_WASM_PAGES = 65536;
/** Room for the per-CPU JIT blocks (about 1.1 MiB per vCPU) beside the RAM. */
export const ARENA_RESERVE = 64 << 20;

export class WasmArena {
  readonly memory: WebAssembly.Memory;
  private top = 0;
  private capacity: number;
  /** Every SharedArrayBuffer object the memory's buffer has been (one per grow). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  /** @param maxBytes the most bytes ever allocated (RAM + JIT blocks). */
  constructor(readonly maxBytes: number) {
    const maximum = Math.min(MAX_WASM_PAGES, Math.ceil(maxBytes / WASM_PAGE) + 1);
    this.memory = new WebAssembly.Memory({ initial: 1, maximum, shared: true });
    this.capacity = WASM_PAGE;
    this.top = 64; // offset 0 stays unused, so 0 never names a live allocation
    this.buffers.add(this.memory.buffer);
  }

  /** True when an arena of `bytes` fits the 32-bit wasm address space. */
  static fits(bytes: number): boolean {
    return bytes + ARENA_RESERVE <= MAX_WASM_PAGES * WASM_PAGE - WASM_PAGE;
  }

  /** An arena for `ramBytes` of guest RAM plus the per-CPU JIT blocks. */
  static forRam(ramBytes: number): WasmArena {
    return new WasmArena(ramBytes + ARENA_RESERVE);
  }

  /** The current buffer (grows replace the object, never the bytes). */
  get buffer(): SharedArrayBuffer {
    return this.memory.buffer as unknown as SharedArrayBuffer;
  }

  /** Whether `buf` is (a past or present object of) this arena's memory. */
  owns(buf: ArrayBufferLike): boolean {
    return this.buffers.has(buf);
  }

  get allocatedBytes(): number {
    return this.top;
  }

  /** `bytes` zeroed bytes aligned to `align` (a power of two): their offset. */
  allocate(bytes: number, align = 4096): number {
    const start = Math.ceil(this.top / align) * align;
    const end = start + bytes;
    if (end > this.capacity) {
      const pages = Math.ceil((end - this.capacity) / WASM_PAGE);
      // Throws a RangeError past `maximum`: the caller's RAM limit was exceeded.
      this.memory.grow(pages);
      this.capacity += pages * WASM_PAGE;
      this.buffers.add(this.memory.buffer);
    }
    this.top = end;
    return start;
  }

  /** A byte view of a new allocation (over the buffer as it is after growing). */
  bytes(length: number, align = 4096): Uint8Array {
    const off = this.allocate(length, align);
    return new Uint8Array(this.buffer, off, length);
  }
}
