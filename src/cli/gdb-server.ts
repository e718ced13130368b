// `gunyah run --gdb <port>`: the GDB remote protocol on 127.0.0.1:<port> over TCP
// (node:net; the protocol engine itself is src/vmm/gdb, free of Node built-ins). One
// client at a time: a second connection is closed at once while one is attached. A
// client that goes away without detaching leaves the guest running undebugged, as D.

import { createServer, type Socket } from "node:net";
import { GdbStub, type DebugGate, type Machine } from "../vmm/index.js";

export interface GdbServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** The guest is gone: tells the client (W) and stops serving. */
  exited(code: number): void;
  close(): void;
}

export function listenGdb(
  port: number,
  gate: DebugGate,
  kill: () => void,
): Promise<GdbServer | string> {
  let active: { socket: Socket; stub: GdbStub } | undefined;
  let finished = false;
  const server = createServer((socket) => {
    if (active || finished) {
      socket.destroy(); // one client at a time
      return;
    }
    socket.setNoDelay(true);
    const stub = new GdbStub(
      {
        send: (bytes) => void socket.write(bytes),
        close: () => void socket.end(),
      },
      gate,
      gate.stopEvent,
    );
    const session = { socket, stub };
    active = session;
    gate.listen({ stopped: (e) => stub.stopped(e), kill });
    socket.on("data", (d: Buffer) =>
      stub.receive(new Uint8Array(d.buffer, d.byteOffset, d.length)),
    );
    socket.on("error", () => undefined); // 'close' follows
    socket.on("close", () => {
      stub.disconnected();
      if (active === session) active = undefined;
    });
  });
  return new Promise((resolve) => {
    server.once("error", (e) => resolve(`--gdb ${port}: ${e.message}`));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      resolve({
        port: bound,
        exited(code: number) {
          finished = true;
          active?.stub.exited(code);
          active?.socket.end();
          server.close();
        },
        close() {
          finished = true;
          active?.socket.destroy();
          server.close();
        },
      });
    });
  });
}

/** The CLI's side of `--gdb`/`--gdb-wait`: what runVm needs, and the server's end. */
export interface GdbSession {
  readonly debug: { readonly waitForDebugger: boolean };
  readonly onStarted: (machine: Machine) => void;
  /** The run ended with this exit code: the client gets W, the server closes. */
  finish(code: number): void;
  close(): void;
  /** Set when the port could not be bound (the run was stopped). */
  readonly error: string | undefined;
}

/** The session for `options`, undefined without --gdb, or an error message. */
export function gdbSession(
  options: { readonly gdb?: string; readonly gdbWait?: boolean },
  io: { readonly stderr: (text: string) => void },
): GdbSession | undefined | string {
  if (options.gdb === undefined)
    return options.gdbWait ? "--gdb-wait needs --gdb <port>" : undefined;
  if (!/^\d{1,5}$/.test(options.gdb) || Number(options.gdb) > 65535)
    return `--gdb ${options.gdb}: not a TCP port (0-65535)`;
  const port = Number(options.gdb);
  let server: GdbServer | undefined;
  let error: string | undefined;
  let ended = false;
  return {
    debug: { waitForDebugger: options.gdbWait === true },
    onStarted(machine) {
      const gate = machine.debugGate;
      if (!gate) return;
      void listenGdb(port, gate, () => machine.kill("killed by the debugger")).then((s) => {
        if (typeof s === "string") {
          error = s;
          machine.kill(s);
          return;
        }
        if (ended) return s.close();
        server = s;
        const waiting = options.gdbWait ? " (waiting for gdb)" : "";
        io.stderr(`gunyah run: gdb server on 127.0.0.1:${s.port}${waiting}\n`);
      });
    },
    finish(code) {
      ended = true;
      server?.exited(code);
    },
    close() {
      ended = true;
      server?.close();
    },
    get error() {
      return error;
    },
  };
}
