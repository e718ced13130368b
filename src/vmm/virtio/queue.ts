// One split virtqueue as the device sees it (virtio 1.2 section 2.7): the available
// ring is read, the used ring written, every access through GuestRam with its range
// checked. A malformed chain is still returned to the used ring (length 0) so the queue
// never wedges; only a broken ring itself (unreadable, index jumping, head out of
// range) stops the queue, and the transport then asks for a reset (DEVICE_NEEDS_RESET).

import { err, ok, type Result } from "../../lib/result.js";
import { checkedAdd, checkedMul, isAligned, rangeEnd } from "../../lib/checked.js";
import { layout, u32 } from "../../lib/layout.js";
import type { GuestRam } from "../guest-ram.js";
import { parseChain, DESC_SIZE, type Chain, type ChainError, type Segment } from "./chain.js";
import { AVAIL_F_NO_INTERRUPT } from "./constants.js";

/** struct virtq_used_elem (2.7.8). */
const UsedElem = layout({ id: u32, len: u32 });

/** Where the driver put the three areas of a queue (4.2.2: QueueDesc/Driver/Device). */
export interface QueueAreas {
  readonly size: number;
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
}

/** The byte extent and alignment of each area (2.7, "Virtqueue Part Alignment"). */
export function areaExtents(a: QueueAreas): readonly (Segment & { align: number })[] {
  return [
    { gpa: a.desc, length: DESC_SIZE * a.size, align: 16 },
    { gpa: a.avail, length: 6 + 2 * a.size, align: 2 },
    { gpa: a.used, length: 6 + 8 * a.size, align: 4 },
  ];
}

/** Why areas cannot be used: misaligned or not wholly inside guest RAM. */
export function checkAreas(ram: GuestRam, a: QueueAreas): string | undefined {
  for (const e of areaExtents(a)) {
    if (!Number.isSafeInteger(e.gpa) || !isAligned(e.gpa, e.align))
      return `area at 0x${e.gpa.toString(16)} is not ${e.align}-byte aligned`;
    const end = rangeEnd(e.gpa, e.length);
    if (end === undefined || e.gpa < ram.base || end > ram.base + ram.size)
      return `area at 0x${e.gpa.toString(16)} is outside guest RAM`;
  }
  return undefined;
}

export type PopResult =
  | { readonly kind: "empty" }
  | { readonly kind: "chain"; readonly chain: Chain }
  | { readonly kind: "malformed"; readonly head: number; readonly error: ChainError }
  | { readonly kind: "broken"; readonly reason: string };

export class SplitQueue {
  private lastAvail = 0;
  private usedIdx = 0;

  constructor(
    private readonly ram: GuestRam,
    readonly areas: QueueAreas,
    private readonly indirect: boolean,
    private readonly eventIdx: boolean,
    /** Ring areas of every live queue of the device: no buffer may overlap them. */
    private readonly rings: () => readonly Segment[],
  ) {}

  private readU16(gpa: number): Result<number, string> {
    const r = this.ram.read(gpa, 2);
    if (!r.ok) return err(`ring at 0x${gpa.toString(16)} unreadable (${r.error.kind})`);
    return ok((r.value[0] ?? 0) | ((r.value[1] ?? 0) << 8));
  }

  /** The next available chain, parsed and checked (2.7.13.2 from the device side). */
  pop(): PopResult {
    const { size, avail, desc } = this.areas;
    const idx = this.readU16(avail + 2);
    if (!idx.ok) return { kind: "broken", reason: idx.error };
    // 16-bit free-running indices (2.7.6): more than `size` pending is impossible.
    const pending = (idx.value - this.lastAvail) & 0xffff;
    if (pending === 0) return { kind: "empty" };
    if (pending > size)
      return { kind: "broken", reason: `available index jumped by ${pending} (size ${size})` };
    const slot = checkedAdd(avail + 4, 2 * (this.lastAvail % size));
    const head = slot === undefined ? undefined : this.readU16(slot);
    if (head === undefined || !head.ok)
      return { kind: "broken", reason: head?.error ?? "ring slot overflow" };
    if (head.value >= size)
      return { kind: "broken", reason: `head ${head.value} out of range (size ${size})` };
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    const chain = parseChain(
      { ram: this.ram, size, descTable: desc, indirect: this.indirect, rings: this.rings() },
      head.value,
    );
    if (!chain.ok) return { kind: "malformed", head: head.value, error: chain.error };
    return { kind: "chain", chain: chain.value };
  }

  /** Puts `head` in the used ring with `written` bytes, then publishes the index (2.7.8). */
  push(head: number, written: number): Result<void, string> {
    const { size, used } = this.areas;
    const at = checkedAdd(used + 4, checkedMul(this.usedIdx % size, UsedElem.size) ?? -1);
    if (at === undefined) return err("used ring slot overflow");
    const elem = this.ram.write(at, UsedElem.encode({ id: head, len: written }));
    if (!elem.ok) return err(`used ring unwritable (${elem.error.kind})`);
    const next = (this.usedIdx + 1) & 0xffff;
    // The element first, then the index: the driver reads the index, then the element.
    const idx = this.ram.write(used + 2, new Uint8Array([next & 0xff, next >> 8]));
    if (!idx.ok) return err(`used index unwritable (${idx.error.kind})`);
    this.usedIdx = next;
    return ok();
  }

  /** The used index now; the transport passes it back to `wantsInterrupt` after a batch. */
  get usedIndex(): number {
    return this.usedIdx;
  }

  /**
   * Whether the driver wants an interrupt for the used buffers published since
   * `before`: VIRTQ_AVAIL_F_NO_INTERRUPT (2.7.7), or with VIRTIO_F_EVENT_IDX the
   * driver's used_event (2.7.10: vring_need_event).
   */
  wantsInterrupt(before: number): Result<boolean, string> {
    const { avail, size } = this.areas;
    if (!this.eventIdx) {
      const flags = this.readU16(avail);
      if (!flags.ok) return flags;
      return ok((flags.value & AVAIL_F_NO_INTERRUPT) === 0);
    }
    const event = this.readU16(avail + 4 + 2 * size);
    if (!event.ok) return event;
    return ok(((this.usedIdx - event.value - 1) & 0xffff) < ((this.usedIdx - before) & 0xffff));
  }

  /**
   * With VIRTIO_F_EVENT_IDX, asks to be notified when the driver makes the next buffer
   * available (avail_event = our next index, 2.7.10). Returns whether buffers arrived
   * meanwhile: the driver may have checked the old avail_event, so we look again.
   */
  publishAvailEvent(): Result<boolean, string> {
    if (!this.eventIdx) return ok(false);
    const { used, avail, size } = this.areas;
    const at = used + 4 + 8 * size;
    const w = this.ram.write(at, new Uint8Array([this.lastAvail & 0xff, this.lastAvail >> 8]));
    if (!w.ok) return err(`avail_event unwritable (${w.error.kind})`);
    const idx = this.readU16(avail + 2);
    if (!idx.ok) return idx;
    return ok(idx.value !== this.lastAvail);
  }
}
