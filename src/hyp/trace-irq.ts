// Virtual interrupts in a trace (category "irq"), on the guest vCPU's track:
//   raise    a source asserted it: a doorbell (an irqfd rings one), a message queue,
//            a vCPU's halt/wakeup, a vPM group (Vic.assertVirq), the generic timer
//            (its output rising: PPI 27 virtual, 30 physical), or an IPI (ICC_SGI*R);
//   deliver  the guest acknowledged it (ICC_IAR0/1_EL1 returned its INTID);
//   eoi      the guest completed it (ICC_EOIR0/1_EL1), deactivate for ICC_DIR_EL1.
// The CPU-interface side wraps the GicCpuInterface the CPU is given, so the vGIC's
// internals (being rewritten for speed) carry no hook at all.

import { sysregKey, type GicCpuInterface } from "../arch/arm64/index.js";
import { TraceCat, type Tracer } from "../lib/trace.js";

const IAR0 = sysregKey(3, 0, 12, 8, 0);
const EOIR0 = sysregKey(3, 0, 12, 8, 1);
const DIR = sysregKey(3, 0, 12, 11, 1);
const SGI1R = sysregKey(3, 0, 12, 11, 5);
const ASGI1R = sysregKey(3, 0, 12, 11, 6);
const SGI0R = sysregKey(3, 0, 12, 11, 7);
const IAR1 = sysregKey(3, 0, 12, 12, 0);
const EOIR1 = sysregKey(3, 0, 12, 12, 1);
const SPURIOUS = 1023;

export function intidKind(intid: number): string {
  if (intid < 16) return "SGI";
  if (intid < 32) return "PPI";
  return "SPI";
}

/** Where a vCPU's events go: [pid = VMID, tid = vCPU index]. */
export type TrackOf = () => readonly [number, number];

export function traceIrq(
  tracer: Tracer,
  track: readonly [number, number],
  what: "raise" | "deliver" | "eoi" | "deactivate",
  intid: number,
  source?: string,
): void {
  const [pid, tid] = track;
  tracer.instant(TraceCat.IRQ, `irq ${what}`, pid, tid, {
    intid,
    kind: intidKind(intid),
    ...(source === undefined ? {} : { source }),
  });
}

/** The CPU interface with acknowledge, EOI and SGI generation traced. */
export function tracedCpuInterface(
  tracer: Tracer,
  inner: GicCpuInterface,
  track: TrackOf,
): GicCpuInterface {
  return {
    read(key: number): bigint | undefined {
      const v = inner.read(key);
      if ((key === IAR1 || key === IAR0) && v !== undefined && Number(v) !== SPURIOUS)
        if (tracer.enabled(TraceCat.IRQ)) traceIrq(tracer, track(), "deliver", Number(v));
      return v;
    },
    write(key: number, value: bigint): boolean {
      const ok = inner.write(key, value);
      if (!ok || !tracer.enabled(TraceCat.IRQ)) return ok;
      const intid = Number(value & 0xffffffn);
      if (key === EOIR1 || key === EOIR0) traceIrq(tracer, track(), "eoi", intid);
      else if (key === DIR) traceIrq(tracer, track(), "deactivate", intid);
      else if (key === SGI1R || key === ASGI1R || key === SGI0R)
        // ICC_SGI1R_EL1.INTID is bits 27:24 (IHI 0069 12.8.20).
        traceIrq(tracer, track(), "raise", Number((value >> 24n) & 0xfn), "IPI");
      return ok;
    },
  };
}

const lastTimer = new WeakMap<object, number>();

/** The timer's outputs after a run: a rising output raises its PPI. */
export function traceTimerOutputs(
  tracer: Tracer,
  vcpu: object,
  outputs: number,
  track: TrackOf,
): void {
  const before = lastTimer.get(vcpu) ?? 0;
  if (before === outputs) return;
  lastTimer.set(vcpu, outputs);
  if (!tracer.enabled(TraceCat.IRQ)) return;
  const rising = outputs & ~before;
  if (rising & 1) traceIrq(tracer, track(), "raise", 27, "timer");
  if (rising & 2) traceIrq(tracer, track(), "raise", 30, "timer");
}
