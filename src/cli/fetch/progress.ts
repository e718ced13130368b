// What `gunyah fetch` says while it works: on a terminal one status line redrawn in
// place (what, bytes so far of the total, rate), elsewhere (CI logs, pipes) plain
// lines, one when a download starts and one when it ends.

export interface Task {
  advance(bytes: number): void;
  done(): void;
  fail(): void;
}

export interface Progress {
  /** A step without a byte count ("verifying ...", "building ..."). */
  note(text: string): void;
  start(label: string, total: number, already: number): Task;
}

const REDRAW_MS = 200;

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function progressReporter(
  write: (text: string) => void,
  isTerminal: boolean,
  now: () => number = () => Date.now(),
): Progress {
  return {
    note: (text) => write(`gunyah fetch: ${text}\n`),
    start(label, total, already) {
      const began = now();
      let got = already;
      let lastDraw = 0;
      const rate = () => (got - already) / Math.max((now() - began) / 1000, 0.001);
      const line = () => `gunyah fetch: ${label} ${mib(got)}/${mib(total)} ${mib(rate())}/s`;
      write(
        isTerminal
          ? line()
          : `gunyah fetch: downloading ${label} (${mib(total)}${already > 0 ? `, resuming at ${mib(already)}` : ""})\n`,
      );
      return {
        advance(bytes) {
          got += bytes;
          if (!isTerminal || now() - lastDraw < REDRAW_MS) return;
          lastDraw = now();
          write(`\r\x1b[K${line()}`);
        },
        done() {
          const seconds = ((now() - began) / 1000).toFixed(1);
          const summary = `${label}: ${mib(got - already)} in ${seconds} s (${mib(rate())}/s)`;
          write(isTerminal ? `\r\x1b[Kgunyah fetch: ${summary}\n` : `gunyah fetch: ${summary}\n`);
        },
        fail() {
          if (isTerminal) write("\n");
        },
      };
    },
  };
}
