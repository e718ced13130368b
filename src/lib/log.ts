// Logging with a rate limit for guest-caused events: a guest that hammers a bad path
// must not flood the host's log (the policy Firecracker and crosvm write down).

export type LogSink = (line: string) => void;

// console.error is stderr in Node and the developer console in a browser.
let sink: LogSink = (line) => console.error(line);

/** Redirects all log output (tests capture it; the CLI may silence it). */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

export function log(line: string): void {
  sink(line);
}

/** A logger that lets `burst` lines through per `intervalMs`, then counts the rest. */
export class RateLimitedLog {
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly prefix: string,
    private readonly burst = 10,
    private readonly intervalMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(message: string): void {
    const t = this.now();
    if (t - this.windowStart >= this.intervalMs) {
      if (this.suppressed > 0)
        log(`${this.prefix}: ${this.suppressed} similar messages suppressed`);
      this.windowStart = t;
      this.inWindow = 0;
      this.suppressed = 0;
    }
    if (this.inWindow < this.burst) {
      this.inWindow++;
      log(`${this.prefix}: ${message}`);
    } else {
      this.suppressed++;
    }
  }
}
