// Signal state: rt_sigaction and rt_sigprocmask record what the program asks for;
// kill/tkill/tgkill to itself apply the default action (no asynchronous delivery and
// no signal frames: `gunyah exec` runs single-threaded programs as a CPU test bench).

import { Errno } from "../errno.js";
import type { ProcessState } from "../state.js";
import { copyIn, copyOut, int, ptr, size } from "./args.js";
import type { Args } from "./args.js";

const SIGKILL = 9;
const SIGSTOP = 19;
const SIG_DFL = 0n;
const SIG_IGN = 1n;
/** Signals whose default action is to do nothing (signal(7)). */
const IGNORED_BY_DEFAULT = new Set([17, 18, 23, 28]); // SIGCHLD, SIGCONT, SIGURG, SIGWINCH

function validSignal(sig: number): boolean {
  return sig >= 1 && sig <= 64;
}

export function sysRtSigaction(p: ProcessState, a: Args): number {
  const sig = int(a[0]);
  if (!validSignal(sig) || size(a[3]) !== 8) return -Errno.EINVAL;
  if (a[1] !== 0n && (sig === SIGKILL || sig === SIGSTOP)) return -Errno.EINVAL;
  if (a[2] !== 0n) {
    const old = p.signalActions.get(sig);
    const b = new Uint8Array(32);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, old?.handler ?? 0n, true);
    v.setBigUint64(8, old?.flags ?? 0n, true);
    v.setBigUint64(16, old?.restorer ?? 0n, true);
    v.setBigUint64(24, old?.mask ?? 0n, true);
    const r = copyOut(p, a[2], b);
    if (r < 0) return r;
  }
  if (a[1] !== 0n) {
    const raw = copyIn(p, a[1], 32);
    if (typeof raw === "number") return raw;
    const v = new DataView(raw.buffer);
    p.signalActions.set(sig, {
      handler: v.getBigUint64(0, true),
      flags: v.getBigUint64(8, true),
      restorer: v.getBigUint64(16, true),
      mask: v.getBigUint64(24, true),
    });
  }
  return 0;
}

const SIG_BLOCK = 0;
const SIG_UNBLOCK = 1;
const SIG_SETMASK = 2;
/** SIGKILL and SIGSTOP can never be blocked. */
const UNBLOCKABLE = (1n << 8n) | (1n << 18n);

export function sysRtSigprocmask(p: ProcessState, a: Args): number {
  if (size(a[3]) !== 8) return -Errno.EINVAL;
  const old = p.signalMask;
  if (a[1] !== 0n) {
    const raw = copyIn(p, a[1], 8);
    if (typeof raw === "number") return raw;
    const set = new DataView(raw.buffer).getBigUint64(0, true) & ~UNBLOCKABLE;
    const how = int(a[0]);
    if (how === SIG_BLOCK) p.signalMask = old | set;
    else if (how === SIG_UNBLOCK) p.signalMask = old & ~set;
    else if (how === SIG_SETMASK) p.signalMask = set;
    else return -Errno.EINVAL;
  }
  if (a[2] !== 0n) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, old, true);
    return copyOut(p, a[2], b);
  }
  return 0;
}

/** A signal sent to this process: ignored, or fatal (its default action). */
export function deliverToSelf(p: ProcessState, sig: number): number {
  if (sig === 0) return 0;
  if (!validSignal(sig)) return -Errno.EINVAL;
  const handler = p.signalActions.get(sig)?.handler ?? SIG_DFL;
  if (handler === SIG_IGN) return 0;
  if (handler === SIG_DFL && IGNORED_BY_DEFAULT.has(sig)) return 0;
  if (handler !== SIG_DFL)
    p.warnOnce(
      `sig-${sig}`,
      `signal ${sig} has a handler, but handlers are not run: default action`,
    );
  if (IGNORED_BY_DEFAULT.has(sig)) return 0;
  p.killedBy = sig;
  p.exitStatus = 128 + sig;
  return 0;
}

export function sysKill(p: ProcessState, a: Args): number {
  const pid = int(a[0]);
  if (pid !== p.ids.pid && pid !== 0 && pid !== -1) return -Errno.ESRCH;
  return deliverToSelf(p, int(a[1]));
}

export function sysTkill(p: ProcessState, a: Args): number {
  if (int(a[0]) !== p.ids.pid) return -Errno.ESRCH;
  return deliverToSelf(p, int(a[1]));
}

export function sysTgkill(p: ProcessState, a: Args): number {
  if (int(a[0]) !== p.ids.pid || int(a[1]) !== p.ids.pid) return -Errno.ESRCH;
  return deliverToSelf(p, int(a[2]));
}

/** sigaltstack: report no alternate stack (SS_DISABLE) and accept a new one. */
export function sysSigaltstack(p: ProcessState, a: Args): number {
  if (a[1] !== 0n) {
    const b = new Uint8Array(24);
    new DataView(b.buffer).setInt32(8, 2, true);
    const r = copyOut(p, a[1], b);
    if (r < 0) return r;
  }
  if (a[0] !== 0n && ptr(a[0]) === undefined) return -Errno.EFAULT;
  return 0;
}
