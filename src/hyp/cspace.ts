// Capability spaces (gunyah-abi.md section 2). A cap names (object, rights); IDs are
// deliberately unguessable: id = (slot * mult) ^ rand_base with mult a random
// non-zero 16-bit value and rand_base random per cspace, so a guest cannot forge a
// cap by counting. Lookups check, in order: the ID decodes to a slot in range
// (ARGUMENT_INVALID otherwise), the slot holds a cap (CAP_NULL), the cap is not
// revoked (CAP_REVOKED), the type (WRONG_OBJECT_TYPE), the rights
// (INSUFFICIENT_RIGHTS) and, for most operations, that the object is ACTIVE.

import { HypError } from "./abi/errors.js";
import { U64_MAX } from "../lib/checked.js";
import { err, ok, type Result } from "../lib/result.js";
import { HypObject, type ObjectRegistry, type ObjectType } from "./object.js";
import type { Prng } from "./prng.js";

/** Largest cspace a partition may configure (cspace_configure max_caps). */
export const CSPACE_MAX_CAPS = 4096;

export interface Cap {
  readonly cspace: Cspace;
  readonly slot: number;
  readonly object: HypObject;
  readonly rights: number;
  revoked: boolean;
  /** The cap made with the object; only it can revoke the others (revoke_caps_from). */
  readonly master: boolean;
}

/** Every valid cap of an object (Gunyah's per-object cap list). */
const capsOf = new WeakMap<HypObject, Set<Cap>>();

function capList(object: HypObject): Set<Cap> {
  let set = capsOf.get(object);
  if (!set) {
    set = new Set();
    capsOf.set(object, set);
  }
  return set;
}

export type LookupResult<T> = Result<T, number>;

export class Cspace extends HypObject {
  private maxCaps = 0;
  private slots: (Cap | undefined)[] = [];
  private freeSlots: number[] = [];
  private readonly mult: bigint;
  private readonly randBase: bigint;

  constructor(registry: ObjectRegistry, prng: Prng) {
    super("cspace", registry);
    this.mult = BigInt((prng.nextU32() % 0xffff) + 1);
    this.randBase = prng.nextU64() & (U64_MAX >> 1n); // never ~0, the invalid cap ID
  }

  configure(maxCaps: bigint): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    if (maxCaps < 1n || maxCaps > BigInt(CSPACE_MAX_CAPS)) return HypError.ARGUMENT_INVALID;
    this.maxCaps = Number(maxCaps);
    return HypError.OK;
  }

  /** Boot-time cspaces are configured directly by the hypervisor. */
  configureInternal(maxCaps: number): void {
    this.maxCaps = maxCaps;
  }

  protected onActivate(): number {
    if (this.maxCaps === 0) return HypError.OBJECT_CONFIG;
    this.slots = new Array<Cap | undefined>(this.maxCaps).fill(undefined);
    this.freeSlots = [];
    for (let i = this.maxCaps - 1; i >= 0; i--) this.freeSlots.push(i);
    return HypError.OK;
  }

  protected onDestroy(): void {
    for (const cap of this.slots) if (cap) this.removeCap(cap);
    this.slots = [];
    this.freeSlots = [];
  }

  get capCount(): number {
    return this.slots.length - this.freeSlots.length;
  }

  idOf(slot: number): bigint {
    return (BigInt(slot) * this.mult) ^ this.randBase;
  }

  private slotOf(id: bigint): number | undefined {
    if (id < 0n || id > U64_MAX) return undefined;
    const x = id ^ this.randBase;
    if (x % this.mult !== 0n) return undefined;
    const slot = x / this.mult;
    return slot < BigInt(this.slots.length) ? Number(slot) : undefined;
  }

  /**
   * Stores a cap to `object`; the cap takes over one reference, which the caller
   * provides (a fresh object's creation reference, or `object.get()`).
   */
  insert(object: HypObject, rights: number, master: boolean): Result<bigint, number> {
    if (!this.isActive) return err(HypError.OBJECT_STATE);
    const slot = this.freeSlots.pop();
    if (slot === undefined) return err(HypError.CSPACE_FULL);
    const cap: Cap = { cspace: this, slot, object, rights: rights >>> 0, revoked: false, master };
    capList(object).add(cap);
    this.slots[slot] = cap;
    this.registry.capAdded();
    return ok(this.idOf(slot));
  }

  lookupCap(id: bigint): LookupResult<Cap> {
    if (!this.isActive) return err(HypError.OBJECT_STATE);
    const slot = this.slotOf(id);
    if (slot === undefined) return err(HypError.ARGUMENT_INVALID);
    const cap = this.slots[slot];
    if (!cap) return err(HypError.CSPACE_CAP_NULL);
    if (cap.revoked) return err(HypError.CSPACE_CAP_REVOKED);
    return ok(cap);
  }

  /** The object named by `id`, checked for type, rights and (by default) ACTIVE state. */
  lookup<T extends HypObject>(
    id: bigint,
    type: ObjectType,
    rights: number,
    activeOnly = true,
  ): LookupResult<T> {
    const found = this.lookupCap(id);
    if (!found.ok) return found;
    const cap = found.value;
    if (cap.object.type !== type) return err(HypError.CSPACE_WRONG_OBJECT_TYPE);
    if ((cap.rights & rights) >>> 0 !== rights >>> 0)
      return err(HypError.CSPACE_INSUFFICIENT_RIGHTS);
    if (activeOnly && !cap.object.isActive) return err(HypError.OBJECT_STATE);
    return ok(cap.object as T);
  }

  /** Looks a cap up without a type check (object_activate, copy, delete). */
  lookupAny(id: bigint, rights: number): LookupResult<Cap> {
    const found = this.lookupCap(id);
    if (!found.ok) return found;
    if ((found.value.rights & rights) >>> 0 !== rights >>> 0)
      return err(HypError.CSPACE_INSUFFICIENT_RIGHTS);
    return found;
  }

  /** cspace_delete_cap_from: frees the slot (a revoked cap may be deleted too). */
  delete(id: bigint): number {
    if (!this.isActive) return HypError.OBJECT_STATE;
    const slot = this.slotOf(id);
    if (slot === undefined) return HypError.ARGUMENT_INVALID;
    const cap = this.slots[slot];
    if (!cap) return HypError.CSPACE_CAP_NULL;
    this.removeCap(cap);
    return HypError.OK;
  }

  private removeCap(cap: Cap): void {
    capsOf.get(cap.object)?.delete(cap);
    this.slots[cap.slot] = undefined;
    this.freeSlots.push(cap.slot);
    this.registry.capRemoved();
    if (!cap.revoked) cap.object.put();
  }
}

/**
 * cspace_revoke_caps_from: from the master cap, revokes every other cap of the object
 * in any cspace (they read CAP_REVOKED until deleted). Only the master may do this
 * (INSUFFICIENT_RIGHTS otherwise), as in Gunyah's cspace_revoke_caps.
 */
export function revokeCaps(master: Cap): number {
  if (!master.master) return HypError.CSPACE_INSUFFICIENT_RIGHTS;
  const list = capsOf.get(master.object);
  for (const cap of [...(list ?? [])]) {
    if (cap === master) continue;
    list?.delete(cap);
    cap.revoked = true;
    cap.object.put();
  }
  return HypError.OK;
}
