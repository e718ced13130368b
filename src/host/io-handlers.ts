// In-host MMIO write handlers (ioeventfd, Linux v17 gunyah_vm_add_io_handler): a
// guest write that matches a handler signals its eventfd inside the host, with no exit
// to the VMM.

import { ok } from "../lib/result.js";
import { fail, type HostResult } from "./errors.js";

export interface IoHandler {
  readonly addr: bigint;
  readonly len: number;
  /** Only writes of this value match (compared on `len` bytes); undefined matches any. */
  readonly datamatch: bigint | undefined;
  readonly onWrite: (value: bigint) => void;
}

function mask(len: number): bigint {
  return (1n << BigInt(len * 8)) - 1n;
}

export class IoHandlerTable {
  private readonly handlers: IoHandler[] = [];

  get count(): number {
    return this.handlers.length;
  }

  /** EEXIST if an existing handler would match the same writes. */
  add(handler: IoHandler): HostResult<void> {
    const clash = this.handlers.some(
      (h) =>
        h.addr === handler.addr &&
        h.len === handler.len &&
        (h.datamatch === undefined ||
          handler.datamatch === undefined ||
          (h.datamatch & mask(h.len)) === (handler.datamatch & mask(h.len))),
    );
    if (clash)
      return fail(
        "EEXIST",
        `an ioeventfd already matches writes to 0x${handler.addr.toString(16)}`,
      );
    this.handlers.push(handler);
    return ok(undefined);
  }

  remove(handler: IoHandler): void {
    const at = this.handlers.indexOf(handler);
    if (at >= 0) this.handlers.splice(at, 1);
  }

  /** Delivers a guest write to a matching handler; false if none matched. */
  dispatchWrite(addr: bigint, len: number, value: bigint): boolean {
    const v = value & mask(len);
    const h = this.handlers.find(
      (x) =>
        x.addr === addr &&
        x.len === len &&
        (x.datamatch === undefined || (x.datamatch & mask(len)) === v),
    );
    if (!h) return false;
    h.onWrite(v);
    return true;
  }
}
