// A FIFO async mutex: the RM client keeps one request outstanding under it (Linux's
// send_lock) and a vCPU runs under its run_lock.

export class AsyncMutex {
  private locked = false;
  private readonly queue: Array<() => void> = [];

  get isLocked(): boolean {
    return this.locked;
  }

  /** Resolves with a release function once the lock is held. */
  async lock(): Promise<() => void> {
    if (this.locked) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.locked = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.locked = false;
    };
  }

  /** Runs `fn` under the lock and releases it on every path. */
  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    const release = await this.lock();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Takes the lock only if it is free (mutex_trylock). */
  tryLock(): (() => void) | undefined {
    if (this.locked) return undefined;
    this.locked = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.locked = false;
    };
  }
}
