// Storage for the system registers that only read back what was written.

/** Plain storage registers (read back what was written) live in the SysregFile. */
export class SysregFile {
  readonly lo = new Int32Array(64);
  readonly hi = new Int32Array(64);
  private next = 0;
  private readonly slots = new Map<string, number>();
  slot(name: string): number {
    let s = this.slots.get(name);
    if (s === undefined) {
      s = this.next++;
      this.slots.set(name, s);
    }
    return s;
  }
}
