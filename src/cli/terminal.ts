// The guest console on the user's terminal. On a TTY, input goes to the guest raw (so
// Ctrl-C reaches the guest's shell) and Ctrl-A X leaves, as with QEMU's -nographic;
// Ctrl-A Ctrl-A sends one Ctrl-A. Piped input is passed through unchanged.

import type { ConsoleInput } from "./io.js";

const CTRL_A = 0x01;

export function terminalInput(stream: NodeJS.ReadStream = process.stdin): ConsoleInput {
  return {
    attach(onData, onEscape) {
      const tty = stream.isTTY === true;
      let escaped = false;
      const listener = (chunk: Buffer) => {
        if (!tty) return onData(new Uint8Array(chunk));
        const out: number[] = [];
        for (const b of chunk) {
          if (escaped) {
            escaped = false;
            if (b === 0x78 || b === 0x58) return onEscape(); // x / X
            if (b === CTRL_A) out.push(CTRL_A);
            continue;
          }
          if (b === CTRL_A) escaped = true;
          else out.push(b);
        }
        if (out.length > 0) onData(Uint8Array.from(out));
      };
      if (tty) stream.setRawMode(true);
      stream.on("data", listener);
      stream.resume();
      return () => {
        stream.off("data", listener);
        stream.pause();
        if (tty) stream.setRawMode(false);
      };
    },
  };
}
