// The IOEVENTFD function (Linux v17 gunyah_ioeventfd.c): a guest MMIO write to `addr`
// of `len` bytes (optionally only with the value `datamatch`) signals an eventfd inside
// the host, without an exit to the VMM.

import { layout, reserved, s32, u32, u64 } from "../../lib/layout.js";
import { checkedAddU64 } from "../../lib/checked.js";
import { ok } from "../../lib/result.js";
import { EventFd } from "../eventfd.js";
import { fail, type HostResult } from "../errors.js";
import { s32Arg, u32Arg, u64Arg } from "./args.js";
import type { IoHandler } from "../io-handlers.js";
import type { VmContext } from "../vm-context.js";
import { FunctionTypeId, type BoundFunction, type FunctionType } from "./registry.js";

/** GUNYAH_FN_IOEVENTFD argument. */
export const IoeventfdArg = layout({
  datamatch: u64,
  addr: u64,
  len: u32,
  fd: s32,
  flags: u32,
  _0: reserved(4),
});
export const IOEVENTFD_FLAG_DATAMATCH = 1;

/** What a VMM gives for an ioeventfd, before its numbers are checked. */
export interface IoeventfdRequest {
  readonly fd: unknown;
  readonly addr: unknown;
  readonly len: unknown;
  /** Undefined: signal on any written value. */
  readonly datamatch?: unknown;
}

/**
 * The argument bytes for an ioeventfd; EINVAL unless addr and datamatch are u64s, len a
 * u32 and fd an s32, so 2^64 + addr never registers at addr (bind checks len's value).
 */
export function encodeIoeventfdArg(req: IoeventfdRequest): HostResult<Uint8Array> {
  const addr = u64Arg("ioeventfd addr", req.addr);
  if (!addr.ok) return addr;
  const len = u32Arg("ioeventfd len", req.len);
  if (!len.ok) return len;
  const fd = s32Arg("ioeventfd fd", req.fd);
  if (!fd.ok) return fd;
  const match = req.datamatch === undefined ? ok(0n) : u64Arg("ioeventfd datamatch", req.datamatch);
  if (!match.ok) return match;
  return ok(
    IoeventfdArg.encode({
      datamatch: match.value,
      addr: addr.value,
      len: len.value,
      fd: fd.value,
      flags: req.datamatch === undefined ? 0 : IOEVENTFD_FLAG_DATAMATCH,
    }),
  );
}

export function ioeventfdFunction(): FunctionType<VmContext> {
  return {
    id: FunctionTypeId.IOEVENTFD,
    name: "ioeventfd",
    bind(ctx, arg): HostResult<BoundFunction<VmContext>> {
      const a = IoeventfdArg.decodeExact(arg);
      if (!a) return fail("EINVAL", "IOEVENTFD argument must be 32 bytes with zero padding");
      if ((a.flags & ~IOEVENTFD_FLAG_DATAMATCH) !== 0)
        return fail("EINVAL", `unknown ioeventfd flags 0x${a.flags.toString(16)}`);
      if (![1, 2, 4, 8].includes(a.len)) return fail("EINVAL", `ioeventfd length ${a.len}`);
      if (checkedAddU64(a.addr, BigInt(a.len)) === undefined)
        return fail("EINVAL", "ioeventfd range wraps");
      const eventfd = EventFd.fromFd(a.fd);
      if (!eventfd) return fail("EBADF", `no eventfd ${a.fd}`);
      const handler: IoHandler = {
        addr: a.addr,
        len: a.len,
        datamatch: (a.flags & IOEVENTFD_FLAG_DATAMATCH) !== 0 ? a.datamatch : undefined,
        onWrite: () => {
          eventfd.signal(1n);
        },
      };
      const added = ctx.io.add(handler);
      if (!added.ok) return added;
      return ok({ value: undefined, unbind: (host) => host.io.remove(handler) });
    },
    compare(x, y) {
      const a = IoeventfdArg.decodeExact(x);
      const b = IoeventfdArg.decodeExact(y);
      if (!a || !b) return false;
      const datamatch = (a.flags & IOEVENTFD_FLAG_DATAMATCH) !== 0;
      return (
        a.addr === b.addr &&
        a.len === b.len &&
        a.flags === b.flags &&
        (!datamatch || a.datamatch === b.datamatch)
      );
    },
  };
}
