// The virtual RTC: Gunyah's `vrtc` object and the ARM PL031 it emulates in the
// hypervisor (quic/gunyah-hypervisor hyp/vm/vrtc_pl031: vrtc_pl031.tc, vrtc_pl031.c,
// hypercalls.c). One vRTC per VM: the RM configures its IPA, attaches it to the VM's
// address space and sets its time base; the guest's accesses to that 4 KiB page are
// answered here, before the address space's VMMIO ranges (Gunyah subscribes the
// addrspace's VMMIO handler to vdevice_access_fixed_addr with "priority last"), so
// they never reach the host.
//
// Time, as Gunyah keeps it: `timeBase` is in system-counter ticks such that
// RTCDR = ticks_to_ns(timeBase + CNTPCT) / 1e9, in u64 arithmetic. With the default
// deterministic clock (hyp/time.ts) CNTPCT counts instructions, so a run replays the
// same RTC values.

import { HypError } from "./abi/errors.js";
import { U64_MAX } from "../lib/checked.js";
import { HypObject, type ObjectRegistry } from "./object.js";

/** VRTC_DEV_SIZE (one hypervisor page). */
export const VRTC_DEV_SIZE = 0x1000;
/** VRTC_PL031_PERIPH_ID and VRTC_PL031_PCELL_ID, one byte per ID register. */
export const VRTC_PL031_PERIPH_ID = 0x0004_1031;
export const VRTC_PL031_PCELL_ID = 0xb105_f00d;

/** The vrtc_pl031 structure's register offsets. */
export const Pl031 = {
  RTCDR: 0x000,
  RTCMR: 0x004,
  RTCLR: 0x008,
  RTCCR: 0x00c,
  RTCIMSC: 0x010,
  RTCRIS: 0x014,
  RTCMIS: 0x018,
  RTCICR: 0x01c,
  PERIPH_ID0: 0xfe0,
  PERIPH_ID3: 0xfec,
  PCELL_ID0: 0xff0,
  PCELL_ID3: 0xffc,
} as const;

const NS_PER_SECOND = 1_000_000_000n;

/** The system counter as the vRTC needs it. */
export interface RtcClock {
  now(): bigint;
  readonly frequency: number;
}

export interface Pl031Access {
  readonly ipa: number;
  readonly size: number;
  readonly isWrite: boolean;
  readonly value: bigint;
}

/** "emulated" with the value read (0 for a write), or "fault": an abort for the guest. */
export type Pl031Result =
  { readonly kind: "emulated"; readonly value: bigint } | { readonly kind: "fault" };

export class Vrtc extends HypObject {
  /** VMADDR_INVALID until vrtc_configure. */
  ipa: number | undefined;
  /** RTCLR as last written (or the seconds of the time base). */
  lr = 0;
  /** Ticks; 0 = never set (vrtc_set_time_base refuses a second time with BUSY). */
  timeBase = 0n;

  constructor(
    registry: ObjectRegistry,
    private readonly clock: RtcClock,
  ) {
    super("vrtc", registry);
  }

  /** vrtc_configure's state check and store (INIT only, else OBJECT_STATE). */
  configure(ipa: number): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    this.ipa = ipa;
    return HypError.OK;
  }

  protected onActivate(): number {
    // vrtc_pl031_handle_object_activate_vrtc: not configured yet.
    return this.ipa === undefined ? HypError.OBJECT_CONFIG : HypError.OK;
  }

  protected onDestroy(): void {
    // Nothing held: the address space holds a reference to us, not the reverse.
  }

  /**
   * vrtc_set_time_base: `timeBaseNs` is the wall time at the moment the counter read
   * `sysTimerRef`, so the delay before this call is accounted for. Once only (BUSY);
   * a reference in the future is ARGUMENT_INVALID.
   */
  setTimeBase(timeBaseNs: bigint, sysTimerRef: bigint): number {
    if (this.timeBase !== 0n) return HypError.BUSY;
    if (this.clock.now() < sysTimerRef) return HypError.ARGUMENT_INVALID;
    this.timeBase = BigInt.asUintN(64, this.nsToTicks(timeBaseNs) - sysTimerRef);
    this.lr = Number((timeBaseNs / NS_PER_SECOND) & 0xffff_ffffn);
    return HypError.OK;
  }

  /** True if `ipa` .. `ipa + size` lies in this vRTC's page. */
  claims(ipa: number, size: number): boolean {
    if (this.ipa === undefined) return false;
    return ipa >= this.ipa && ipa + size <= this.ipa + VRTC_DEV_SIZE;
  }

  /** vrtc_pl031_handle_vdevice_access_fixed_addr: only aligned 32-bit accesses. */
  access(a: Pl031Access): Pl031Result {
    if (a.size !== 4 || a.ipa % 4 !== 0) return { kind: "fault" };
    const offset = a.ipa - this.ipa!;
    if (a.isWrite) {
      this.write(offset, a.value & 0xffff_ffffn);
      return { kind: "emulated", value: 0n };
    }
    return { kind: "emulated", value: this.read(offset) };
  }

  /** The seconds RTCDR shows now. */
  seconds(): bigint {
    const ticks = BigInt.asUintN(64, this.timeBase + this.clock.now());
    return (this.ticksToNs(ticks) / NS_PER_SECOND) & 0xffff_ffffn;
  }

  private read(offset: number): bigint {
    if (offset === Pl031.RTCDR) return this.seconds();
    if (offset === Pl031.RTCLR) return BigInt(this.lr);
    if (offset === Pl031.RTCCR) return 1n; // always enabled
    if (offset >= Pl031.PERIPH_ID0 && offset <= Pl031.PERIPH_ID3)
      return idByte(VRTC_PL031_PERIPH_ID, (offset - Pl031.PERIPH_ID0) >> 2);
    if (offset >= Pl031.PCELL_ID0 && offset <= Pl031.PCELL_ID3)
      return idByte(VRTC_PL031_PCELL_ID, (offset - Pl031.PCELL_ID0) >> 2);
    // RTCMR, RTCIMSC, RTCRIS, RTCMIS, RTCICR and the rest: read as zero.
    return 0n;
  }

  private write(offset: number, value: bigint): void {
    // Only RTCLR: a new time base from now on. Every other register is write-ignored
    // (no match interrupt: Gunyah's vRTC has none).
    if (offset !== Pl031.RTCLR) return;
    this.timeBase = BigInt.asUintN(64, this.nsToTicks(value * NS_PER_SECOND) - this.clock.now());
    this.lr = Number(value);
  }

  private nsToTicks(ns: bigint): bigint {
    return (ns * BigInt(this.clock.frequency)) / NS_PER_SECOND;
  }

  private ticksToNs(ticks: bigint): bigint {
    return ((ticks & U64_MAX) * NS_PER_SECOND) / BigInt(this.clock.frequency);
  }
}

function idByte(id: number, index: number): bigint {
  return BigInt((id >>> (index * 8)) & 0xff);
}
