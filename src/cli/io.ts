// What the CLI touches outside itself, injectable so tests run it in-process: output
// streams, the terminal, and the host (the TypeScript /dev/gunyah).

import type { HostHandle, HostRequirements } from "./host.js";

export interface CliIo {
  /** Guest console output (UART). */
  readonly stdout: (text: string | Uint8Array) => void;
  /** Diagnostics. */
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress redrawn in place) or a log (plain lines). */
  readonly stderrIsTerminal?: () => boolean;
  /** Opens the host interface; a message when there is none. */
  readonly openHost: (requirements: HostRequirements) => Promise<HostHandle | string>;
  /** Console input for the guest, or undefined to give it none. */
  readonly stdin?: ConsoleInput;
  /** Subscribes to an interrupt request (Ctrl-C); returns an unsubscribe. */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

export interface ConsoleInput {
  /** Starts delivering input; returns a function that stops it and restores the terminal. */
  attach(onData: (bytes: Uint8Array) => void, onEscape: () => void): () => void;
}
