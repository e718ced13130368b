// "Run this after the event loop has had a turn": Node's setImmediate, or, where it does
// not exist (a browser's Web Worker), a MessageChannel message, which browsers deliver as
// a task without the 4 ms clamp that nested setTimeout calls get (HTML spec, timers
// section 8.6). The layers yield with this between slices so that timers, RPC and
// device work progress; nothing here may depend on Node.

type Callback = () => void;

/** A macrotask queue over one MessageChannel: one message per callback, in order. */
export function channelMacrotask(): (fn: Callback) => void {
  const queue: Callback[] = [];
  const channel = new MessageChannel();
  // A browser MessagePort; Node's is typed without the handler and, while referenced,
  // keeps the process alive: it is referenced only while callbacks wait.
  const port = channel.port1 as unknown as {
    onmessage: Callback;
    ref?: () => void;
    unref?: () => void;
  };
  port.onmessage = () => {
    const fn = queue.shift();
    if (queue.length === 0) port.unref?.();
    fn?.();
  };
  port.unref?.();
  return (fn) => {
    if (queue.push(fn) === 1) port.ref?.();
    channel.port2.postMessage(0);
  };
}

// Feature-detected through globalThis: the one place a core layer may touch this Node
// global (test/layering.test.ts refuses bare uses).
const nodeSetImmediate =
  typeof globalThis.setImmediate === "function" ? globalThis.setImmediate : undefined;

/** Runs `fn` in a later task of the event loop (after pending I/O and timers get a turn). */
export const macrotask: (fn: Callback) => void = nodeSetImmediate
  ? (fn) => void nodeSetImmediate(fn)
  : channelMacrotask();

/** A promise that resolves in a later task: `await nextTask()` yields to the event loop. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => macrotask(resolve));
}
