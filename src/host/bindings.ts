// VM_MAP_MEM: bindings of guest-memory ranges to guest-physical addresses (Linux v17
// guest_memfd.c gunyah_gmem_modify_mapping). A binding only records where a page will
// go; the demand pager gives the page to the guest on its first access.

import { checkedAddU64, isAligned, u64ToSafe } from "../lib/checked.js";
import { ok } from "../lib/result.js";
import { fail, type HostResult } from "./errors.js";
import type { GuestMemBacking } from "./guest-mem.js";
import { PAGE_SIZE } from "./host-ram.js";

/** VM_MAP_MEM flags (v17 layout, gunyah-abi.md section 4). */
export const MapFlag = {
  ACCESS_MASK: 0x7,
  DEFAULT_ACCESS: 0,
  FORCE_LEND: 1,
  FORCE_SHARE: 2,
  ALLOW_READ: 0x10,
  ALLOW_WRITE: 0x20,
  ALLOW_EXEC: 0x40,
  ALLOW_RWX: 0x70,
  UNMAP: 0x100,
} as const;

export interface Binding {
  readonly gpa: number;
  readonly size: number;
  readonly mem: GuestMemBacking;
  readonly offset: number;
  readonly flags: number;
  readonly lend: boolean;
}

export interface MapRequest {
  readonly guestAddr: bigint | number;
  readonly flags: number;
  readonly offset: bigint | number;
  readonly size: bigint | number;
}

interface Checked {
  gpa: number;
  offset: number;
  size: number;
  flags: number;
}

/** Default access means lend: the RM requires every VM to be isolated. */
export function isLend(flags: number): boolean {
  return (flags & MapFlag.ACCESS_MASK) !== MapFlag.FORCE_SHARE;
}

/** The access a binding grants the guest, as RWX bits (X 1, W 2, R 4). */
export function bindingAccess(b: Binding): number {
  let access = 0;
  if (b.flags & MapFlag.ALLOW_READ) access |= 4;
  if (b.flags & MapFlag.ALLOW_WRITE) access |= 2;
  // Shared pages are executable when the VMM asks for it: a non-protected VM whose VMM
  // shares all guest RAM with the host (crosvm does so when the kernel has no restricted
  // DMA pool) runs its kernel from shared pages. The RM accepts RWX on shared normal
  // memory (ACL rights R, RX, RW, RWX) and the guest-shared extent is RWX.
  if (b.flags & MapFlag.ALLOW_EXEC) access |= 1;
  return access;
}

function validate(req: MapRequest, mem: GuestMemBacking): HostResult<Checked> {
  const flags = req.flags;
  if (
    !Number.isInteger(flags) ||
    flags < 0 ||
    (flags & ~(MapFlag.ALLOW_RWX | MapFlag.UNMAP | MapFlag.ACCESS_MASK)) !== 0
  ) {
    return fail("EINVAL", `unknown map flags 0x${flags.toString(16)}`);
  }
  if ((flags & MapFlag.ALLOW_RWX) === 0)
    return fail("EINVAL", "the guest needs some access to the memory");
  const access = flags & MapFlag.ACCESS_MASK;
  if (access > MapFlag.FORCE_SHARE) return fail("EINVAL", `unknown access mode ${access}`);
  const gpa64 = BigInt(req.guestAddr);
  const off64 = BigInt(req.offset);
  const size64 = BigInt(req.size);
  if (
    !isAligned(gpa64, PAGE_SIZE) ||
    !isAligned(off64, PAGE_SIZE) ||
    !isAligned(size64, PAGE_SIZE)
  ) {
    return fail("EINVAL", "guest address, offset and size must be page aligned");
  }
  if (size64 <= 0n || gpa64 < 0n || off64 < 0n) return fail("EINVAL", "empty or negative range");
  const gpaEnd = checkedAddU64(gpa64, size64);
  if (gpaEnd === undefined) return fail("EOVERFLOW", "guest range wraps");
  const gpa = u64ToSafe(gpa64);
  const offset = u64ToSafe(off64);
  const size = u64ToSafe(size64);
  if (
    gpa === undefined ||
    offset === undefined ||
    size === undefined ||
    u64ToSafe(gpaEnd) === undefined
  ) {
    return fail("EOVERFLOW", "guest range beyond the supported address space");
  }
  if (offset + size > mem.size)
    return fail("EINVAL", "range runs past the end of the guest memory");
  return ok({ gpa, offset, size, flags });
}

/** The bindings of every VM to guest-memory objects, so file-offset overlaps are seen across VMs. */
const bindingsByMem = new Map<number, Set<Binding>>();

/** One VM's bindings, ordered by guest address. */
export class BindingTable {
  private bindings: Binding[] = [];

  get all(): readonly Binding[] {
    return this.bindings;
  }

  /** The binding covering `gpa`, if any. */
  find(gpa: number): Binding | undefined {
    return this.bindings.find((b) => gpa >= b.gpa && gpa < b.gpa + b.size);
  }

  /** Adds a binding (VM_MAP_MEM without UNMAP). */
  add(req: MapRequest, mem: GuestMemBacking): HostResult<Binding> {
    const v = validate(req, mem);
    if (!v.ok) return v;
    const { gpa, offset, size, flags } = v.value;
    if ((flags & MapFlag.UNMAP) !== 0) return fail("EINVAL", "UNMAP goes through remove()");
    if (this.bindings.some((b) => gpa < b.gpa + b.size && b.gpa < gpa + size)) {
      return fail("EEXIST", `guest range 0x${gpa.toString(16)} overlaps an existing mapping`);
    }
    // One page goes to one place: no two bindings may use the same guest-memory offset.
    const users = bindingsByMem.get(mem.id) ?? new Set<Binding>();
    for (const b of users) {
      if (offset < b.offset + b.size && b.offset < offset + size) {
        return fail("EEXIST", `guest memory offset 0x${offset.toString(16)} is already mapped`);
      }
    }
    if (!mem.retain()) return fail("EBADF", "guest memory is closed");
    const binding: Binding = { gpa, size, mem, offset, flags, lend: isLend(flags) };
    users.add(binding);
    bindingsByMem.set(mem.id, users);
    this.bindings.push(binding);
    this.bindings.sort((a, b) => a.gpa - b.gpa);
    return ok(binding);
  }

  /**
   * Finds what an UNMAP request removes: a binding with the same flags that contains
   * the range at the same offset delta. Returns the binding and the removed part.
   */
  findForUnmap(
    req: MapRequest,
    mem: GuestMemBacking,
  ): HostResult<{ binding: Binding; gpa: number; size: number }> {
    const v = validate(req, mem);
    if (!v.ok) return v;
    const { gpa, offset, size } = v.value;
    const flags = v.value.flags & ~MapFlag.UNMAP;
    const b = this.bindings.find(
      (x) => x.mem === mem && x.flags === flags && x.gpa <= gpa && gpa + size <= x.gpa + x.size,
    );
    if (!b || offset - b.offset !== gpa - b.gpa)
      return fail("ENOENT", "no mapping matches the range");
    const keepsStart = gpa > b.gpa;
    const keepsEnd = gpa + size < b.gpa + b.size;
    if (keepsStart && keepsEnd)
      return fail("EINVAL", "cannot punch a hole in the middle of a mapping");
    return ok({ binding: b, gpa, size });
  }

  /** Removes [gpa, gpa + size) from `b` (already validated by findForUnmap). */
  trim(b: Binding, gpa: number, size: number): void {
    this.drop(b);
    if (gpa > b.gpa) this.insert({ ...b, size: gpa - b.gpa });
    else if (gpa + size < b.gpa + b.size) {
      const cut = gpa + size - b.gpa;
      this.insert({ ...b, gpa: b.gpa + cut, offset: b.offset + cut, size: b.size - cut });
    }
    if (gpa === b.gpa && size === b.size) b.mem.releaseRef();
  }

  /** Teardown: forgets every binding and drops their guest-memory references. */
  clear(): void {
    for (const b of this.bindings.splice(0)) {
      bindingsByMem.get(b.mem.id)?.delete(b);
      b.mem.releaseRef();
    }
  }

  private drop(b: Binding): void {
    this.bindings = this.bindings.filter((x) => x !== b);
    bindingsByMem.get(b.mem.id)?.delete(b);
  }

  private insert(b: Binding): void {
    this.bindings.push(b);
    this.bindings.sort((x, y) => x.gpa - y.gpa);
    const users = bindingsByMem.get(b.mem.id) ?? new Set<Binding>();
    users.add(b);
    bindingsByMem.set(b.mem.id, users);
  }
}
