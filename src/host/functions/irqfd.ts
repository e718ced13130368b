// The IRQFD function (Linux v17 gunyah_irqfd.c): signalling an eventfd rings a
// doorbell into the guest. The doorbell is the VM's DOORBELL_SRC ("bell tx") resource
// with the irqfd's label. A level-triggered irqfd first sets the doorbell's masks to
// enable=1, ack=1 so the line drops once the guest takes it (gunyah-abi.md section 2).

import { layout, reserved, u32 } from "../../lib/layout.js";
import { RateLimitedLog } from "../../lib/log.js";
import { ok } from "../../lib/result.js";
import { HypResourceType } from "../../rm/protocol/index.js";
import { EventFd } from "../eventfd.js";
import { fail, type HostResult } from "../errors.js";
import { u32Arg } from "./args.js";
import type { HostResource, ResourceTicket } from "../resources.js";
import type { VmContext } from "../vm-context.js";
import { FunctionTypeId, type BoundFunction, type FunctionType } from "./registry.js";

/** GUNYAH_FN_IRQFD argument: {u32 fd, u32 label, u32 flags (bit0 level), u32 0}. */
export const IrqfdArg = layout({ fd: u32, label: u32, flags: u32, _0: reserved(4) });
export const IRQFD_FLAG_LEVEL = 1;

/** The argument bytes for an irqfd; EINVAL unless fd and label are u32s. */
export function encodeIrqfdArg(
  fd: unknown,
  label: unknown,
  level: boolean,
): HostResult<Uint8Array> {
  const f = u32Arg("irqfd fd", fd);
  if (!f.ok) return f;
  const l = u32Arg("irqfd label", label);
  if (!l.ok) return l;
  return ok(IrqfdArg.encode({ fd: f.value, label: l.value, flags: level ? IRQFD_FLAG_LEVEL : 0 }));
}

const log = new RateLimitedLog("host/irqfd");

class Irqfd {
  private doorbell: bigint | undefined;
  readonly ticket: ResourceTicket;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: VmContext,
    private readonly eventfd: EventFd,
    label: number,
    private readonly level: boolean,
  ) {
    this.ticket = {
      type: HypResourceType.DOORBELL_SRC,
      label,
      populate: (r) => this.populate(r),
      unpopulate: (r) => this.unpopulate(r),
    };
    this.unsubscribe = eventfd.onSignal(() => this.ring());
  }

  private populate(r: HostResource): boolean {
    if (this.doorbell !== undefined) {
      log.warn(`irqfd label ${this.ticket.label} already has a doorbell`);
      return false;
    }
    this.doorbell = r.capId;
    if (this.level) {
      const masked = this.ctx.hyp.doorbellMask(r.capId, 1n, 1n);
      if (!masked.ok)
        log.warn(`irqfd label ${this.ticket.label}: doorbell_mask failed: ${masked.error.message}`);
    }
    // An event signalled before the VM started is delivered now.
    if (this.eventfd.value > 0n) this.ring();
    return true;
  }

  private unpopulate(r: HostResource): void {
    if (this.doorbell === r.capId) this.doorbell = undefined;
  }

  /** The eventfd was signalled: consume the count and ring the doorbell once. */
  private ring(): void {
    if (this.doorbell === undefined) return;
    this.eventfd.read();
    const sent = this.ctx.hyp.doorbellSend(this.doorbell, 1n);
    if (!sent.ok)
      log.warn(`irqfd label ${this.ticket.label}: doorbell_send failed: ${sent.error.message}`);
  }

  release(): void {
    this.unsubscribe();
    this.ctx.tickets.remove(this.ticket);
  }
}

export function irqfdFunction(): FunctionType<VmContext> {
  return {
    id: FunctionTypeId.IRQFD,
    name: "irqfd",
    bind(ctx, arg): HostResult<BoundFunction<VmContext>> {
      const a = IrqfdArg.decodeExact(arg);
      if (!a) return fail("EINVAL", "IRQFD argument must be 16 bytes with zero padding");
      if ((a.flags & ~IRQFD_FLAG_LEVEL) !== 0)
        return fail("EINVAL", `unknown irqfd flags 0x${a.flags.toString(16)}`);
      const eventfd = EventFd.fromFd(a.fd);
      if (!eventfd) return fail("EBADF", `no eventfd ${a.fd}`);
      const irqfd = new Irqfd(ctx, eventfd, a.label, (a.flags & IRQFD_FLAG_LEVEL) !== 0);
      const added = ctx.tickets.add(irqfd.ticket);
      if (!added.ok) {
        irqfd.release();
        return added;
      }
      return ok({ value: undefined, unbind: () => irqfd.release() });
    },
    compare(a, b) {
      const x = IrqfdArg.decodeExact(a);
      const y = IrqfdArg.decodeExact(b);
      // Linux matches irqfds by label: the label names the doorbell.
      return x !== undefined && y !== undefined && x.label === y.label;
    },
  };
}
