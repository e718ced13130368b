// Hypervisor objects: the INIT -> ACTIVE lifecycle, reference counts and the
// registry that counts live objects for leak accounting (gunyah-abi.md section 2).
// Gunyah's object_activate moves INIT -> ACTIVE on success and INIT -> FAILED on any
// activation error; configuration is accepted only in INIT; the last reference put
// moves the object to DESTROYING and releases what it holds.

import { HypError } from "./abi/errors.js";
import { ObjectState } from "./abi/objects.js";
import { InvariantError } from "../lib/assert.js";

export type ObjectType =
  | "partition"
  | "cspace"
  | "addrspace"
  | "memextent"
  | "thread"
  | "doorbell"
  | "msgqueue"
  | "vic"
  | "vpm_group"
  | "vrtc";

export const OBJECT_TYPES: readonly ObjectType[] = [
  "partition",
  "cspace",
  "addrspace",
  "memextent",
  "thread",
  "doorbell",
  "msgqueue",
  "vic",
  "vpm_group",
  "vrtc",
];

/** Allowed state transitions, checked in one place (style rule 5). */
export const OBJECT_TRANSITIONS: Readonly<Record<ObjectState, readonly ObjectState[]>> = {
  [ObjectState.NONE]: [ObjectState.INIT],
  [ObjectState.INIT]: [ObjectState.ACTIVE, ObjectState.FAILED, ObjectState.DESTROYING],
  [ObjectState.ACTIVE]: [ObjectState.DESTROYING],
  [ObjectState.FAILED]: [ObjectState.DESTROYING],
  [ObjectState.DESTROYING]: [],
};

export function canTransition(from: ObjectState, to: ObjectState): boolean {
  return OBJECT_TRANSITIONS[from].includes(to);
}

/** Counts live objects by type so tests can prove that teardown leaks nothing. */
export class ObjectRegistry {
  private readonly live = new Map<ObjectType, number>();
  private caps = 0;

  capAdded(): void {
    this.caps++;
  }

  capRemoved(): void {
    if (this.caps <= 0) throw new InvariantError("registry: cap count underflow");
    this.caps--;
  }

  get liveCaps(): number {
    return this.caps;
  }

  created(type: ObjectType): void {
    this.live.set(type, (this.live.get(type) ?? 0) + 1);
  }

  destroyed(type: ObjectType): void {
    const n = this.live.get(type) ?? 0;
    if (n <= 0) throw new InvariantError(`registry: no live ${type} to destroy`);
    this.live.set(type, n - 1);
  }

  counts(): Record<ObjectType, number> {
    const out = {} as Record<ObjectType, number>;
    for (const t of OBJECT_TYPES) out[t] = this.live.get(t) ?? 0;
    return out;
  }
}

export abstract class HypObject {
  private stateValue: ObjectState = ObjectState.INIT;
  private refs = 1;

  /** Created in INIT holding one reference, which the creator hands to a cap (or drops). */
  constructor(
    readonly type: ObjectType,
    protected readonly registry: ObjectRegistry,
  ) {
    registry.created(type);
  }

  get state(): ObjectState {
    return this.stateValue;
  }

  get isActive(): boolean {
    return this.stateValue === ObjectState.ACTIVE;
  }

  get refCount(): number {
    return this.refs;
  }

  protected moveTo(next: ObjectState): void {
    if (!canTransition(this.stateValue, next))
      throw new InvariantError(`${this.type}: illegal transition ${this.stateValue} -> ${next}`);
    this.stateValue = next;
  }

  /** Configuration hypercalls call this first: only an INIT object may be configured. */
  requireInit(): number {
    return this.stateValue === ObjectState.INIT ? HypError.OK : HypError.OBJECT_STATE;
  }

  /** object_activate: INIT -> ACTIVE, or INIT -> FAILED if activation reports an error. */
  activate(): number {
    if (this.stateValue !== ObjectState.INIT) return HypError.OBJECT_STATE;
    const error = this.onActivate();
    this.moveTo(error === HypError.OK ? ObjectState.ACTIVE : ObjectState.FAILED);
    return error;
  }

  get(): this {
    if (this.refs <= 0) throw new InvariantError(`${this.type}: get() on a dead object`);
    this.refs++;
    return this;
  }

  put(): void {
    if (this.refs <= 0) throw new InvariantError(`${this.type}: put() on a dead object`);
    this.refs--;
    if (this.refs > 0) return;
    this.moveTo(ObjectState.DESTROYING);
    this.onDestroy();
    this.registry.destroyed(this.type);
  }

  /** Checks mandatory configuration and takes the resources of the ACTIVE state. */
  protected abstract onActivate(): number;
  /** Releases every reference and resource the object holds. */
  protected abstract onDestroy(): void;
}
