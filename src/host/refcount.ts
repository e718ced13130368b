// Reference counting for handles (the kref + file-descriptor model of the v17 driver):
// every holder owns one reference and drops it exactly once; the last put runs the
// release, which callers use to schedule teardown without blocking (review demand,
// gunyah-abi.md section 5).

import { invariant } from "../lib/assert.js";

export class RefCount {
  private count = 1;

  constructor(private readonly release: () => void) {}

  get live(): boolean {
    return this.count > 0;
  }

  get references(): number {
    return this.count;
  }

  /** Takes a reference; false if the object is already released (kref_get_unless_zero). */
  tryGet(): boolean {
    if (this.count === 0) return false;
    this.count++;
    return true;
  }

  put(): void {
    invariant(this.count > 0, "reference count underflow");
    this.count--;
    if (this.count === 0) this.release();
  }
}

/** A single reference that can be dropped once (a file's close). */
export class OwnedRef {
  private dropped = false;

  constructor(private readonly counter: RefCount) {}

  get isDropped(): boolean {
    return this.dropped;
  }

  /** Drops the reference; later calls do nothing. */
  drop(): void {
    if (this.dropped) return;
    this.dropped = true;
    this.counter.put();
  }
}
