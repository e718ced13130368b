// The guest console in xterm.js: keystrokes and pastes go to the guest as UTF-8 bytes,
// the guest's bytes are written raw (xterm decodes UTF-8 and VT sequences), and the
// terminal follows its box's size (addon-fit). xterm's default DOM renderer keeps the
// visible text in the page's DOM (.xterm-rows), so tests and screen readers read it;
// screenReaderMode adds its accessibility tree as well.

import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";

export class TerminalView {
  readonly terminal: Terminal;
  private readonly fit = new FitAddon();
  private readonly encoder = new TextEncoder();

  constructor(host: HTMLElement, onInput: (bytes: Uint8Array) => void) {
    this.terminal = new Terminal({
      convertEol: false,
      cursorBlink: true,
      fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace",
      fontSize: 14,
      scrollback: 5000,
      screenReaderMode: true,
      theme: { background: "#000000" },
    });
    this.terminal.loadAddon(this.fit);
    this.terminal.open(host);
    this.terminal.onData((text) => onInput(this.encoder.encode(text)));
    new ResizeObserver(() => this.resize()).observe(host);
    this.resize();
  }

  write(bytes: Uint8Array): void {
    this.terminal.write(bytes);
  }

  /** A line of the page's own (not the guest's), dimmed. */
  note(text: string): void {
    this.terminal.write(`\x1b[2m${text}\x1b[0m\r\n`);
  }

  clear(): void {
    this.terminal.reset();
  }

  focus(): void {
    this.terminal.focus();
  }

  private resize(): void {
    try {
      this.fit.fit();
    } catch {
      // Not laid out yet (display: none): the next resize fits it.
    }
  }
}
