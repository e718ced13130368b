// An in-process eventfd (eventfd(2) semantics): a u64 counter that `signal` adds to and
// `read` returns and resets (or decrements by one in semaphore mode). irqfd and
// ioeventfd functions name an EventFd by its descriptor number, as the v17 UAPI names
// an eventfd by its fd, so function arguments stay plain bytes that can be compared.

import { ok } from "../lib/result.js";
import { fail, type HostResult } from "./errors.js";

/** The largest value the counter can hold (eventfd(2): 0xfffffffffffffffe). */
export const EVENTFD_MAX = (1n << 64n) - 2n;

export interface EventFdOptions {
  /** Initial counter value (default 0). */
  readonly initial?: bigint | number;
  /** EFD_SEMAPHORE: each read returns 1 and decrements the counter by 1. */
  readonly semaphore?: boolean;
}

type Listener = () => void;

const table = new Map<number, WeakRef<EventFd>>();
/** Forgets descriptors of eventfds collected without close(), like a process exit would. */
const reaper = new FinalizationRegistry<number>((fd) => {
  if (table.get(fd)?.deref() === undefined) table.delete(fd);
});
let nextFd = 1;

export class EventFd {
  /** The descriptor number function arguments use to name this eventfd. */
  readonly fd: number;
  readonly semaphore: boolean;
  private counter: bigint;
  private closed = false;
  private readonly listeners = new Set<Listener>();
  private readonly waiters: Array<() => void> = [];

  constructor(options: EventFdOptions = {}) {
    const initial = BigInt(options.initial ?? 0);
    if (initial < 0n || initial > EVENTFD_MAX) throw new RangeError("eventfd initial value");
    this.counter = initial;
    this.semaphore = options.semaphore ?? false;
    this.fd = nextFd++;
    table.set(this.fd, new WeakRef(this));
    reaper.register(this, this.fd);
  }

  /** Looks up an open eventfd by descriptor number. */
  static fromFd(fd: number): EventFd | undefined {
    const found = table.get(fd)?.deref();
    return found && !found.closed ? found : undefined;
  }

  /** The current counter, without consuming it. */
  get value(): bigint {
    return this.counter;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Adds `n` (default 1) to the counter and notifies listeners and waiters. EAGAIN if
   * the counter would pass EVENTFD_MAX (a non-blocking write), EINVAL for a bad value.
   */
  signal(n: bigint | number = 1n): HostResult<void> {
    const add = BigInt(n);
    if (this.closed) return fail("EBADF", "eventfd is closed");
    if (add < 0n || add > EVENTFD_MAX) return fail("EINVAL", "eventfd value out of range");
    if (this.counter + add > EVENTFD_MAX) return fail("EAGAIN", "eventfd counter would overflow");
    if (add === 0n) return ok(undefined);
    this.counter += add;
    for (const listener of [...this.listeners]) listener();
    this.wakeWaiters();
    return ok(undefined);
  }

  /** Non-blocking read: the counter (or 1 in semaphore mode); EAGAIN when it is 0. */
  read(): HostResult<bigint> {
    if (this.closed) return fail("EBADF", "eventfd is closed");
    if (this.counter === 0n) return fail("EAGAIN", "eventfd counter is zero");
    return ok(this.take());
  }

  /** Waits until the counter is non-zero, then reads it. Rejects never; EBADF on close. */
  async wait(): Promise<HostResult<bigint>> {
    while (this.counter === 0n) {
      if (this.closed) return fail("EBADF", "eventfd is closed");
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.read();
  }

  /** Calls `listener` after every successful signal (poll's EPOLLIN); returns an unsubscribe. */
  onSignal(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    table.delete(this.fd);
    this.listeners.clear();
    this.wakeWaiters();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private take(): bigint {
    if (this.semaphore) {
      this.counter -= 1n;
      return 1n;
    }
    const value = this.counter;
    this.counter = 0n;
    return value;
  }

  private wakeWaiters(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
