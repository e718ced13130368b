// VM functions (Linux v17 vm_mgr.c "function instances"): a VM gains vCPUs, irqfds and
// ioeventfds by adding an instance of a registered function type with a small argument
// block. Review demands (gunyah-abi.md section 5): the argument is copied (bounded to
// 256 bytes), the type is looked up (loaded on demand), and any failure releases every
// reference taken, the lock included; removal matches by the type's own compare; VM
// teardown removes all instances.

import { ok } from "../../lib/result.js";
import { fail, type HostResult } from "../errors.js";

/** Function type ids (v17 UAPI GUNYAH_FN_*). */
export const FunctionTypeId = { VCPU: 1, IRQFD: 2, IOEVENTFD: 3 } as const;
/** GUNYAH_FN_MAX_ARG_SIZE. */
export const FN_MAX_ARG_SIZE = 256;

/** What a bound instance keeps: its state and what `addFunction` returns to the caller. */
export interface BoundFunction<Host> {
  /** Returned to the caller of addFunction (the vCPU handle for VCPU). */
  readonly value: unknown;
  /** Releases everything bind took. Called once, on removal or teardown. */
  unbind(host: Host): void;
}

export interface FunctionType<Host> {
  readonly id: number;
  readonly name: string;
  /** Binds an instance; on failure it must have released everything it took. */
  bind(host: Host, arg: Uint8Array): HostResult<BoundFunction<Host>>;
  /** True if `arg` names this instance (the type's own notion of equality). */
  compare(instanceArg: Uint8Array, arg: Uint8Array): boolean;
}

interface TypeSlot<Host> {
  readonly load: () => FunctionType<Host>;
  loaded: FunctionType<Host> | undefined;
  /** Instances currently bound (the module reference count). */
  users: number;
}

/** Function types by id, loaded on first use (request_module). */
export class FunctionTypeRegistry<Host> {
  private readonly slots = new Map<number, TypeSlot<Host>>();

  register(id: number, load: () => FunctionType<Host>): void {
    if (this.slots.has(id)) throw new Error(`function type ${id} registered twice`);
    this.slots.set(id, { load, loaded: undefined, users: 0 });
  }

  /** Takes a reference to a type, loading it if needed. */
  acquire(id: number): HostResult<FunctionType<Host>> {
    const slot = this.slots.get(id);
    if (!slot) return fail("ENOENT", `no function type ${id}`);
    slot.loaded ??= slot.load();
    slot.users++;
    return ok(slot.loaded);
  }

  release(id: number): void {
    const slot = this.slots.get(id);
    if (slot && slot.users > 0) slot.users--;
  }

  /** Bound instances of a type (for tests: every error path must return it to 0). */
  users(id: number): number {
    return this.slots.get(id)?.users ?? 0;
  }
}

interface Instance<Host> {
  readonly type: FunctionType<Host>;
  readonly arg: Uint8Array;
  readonly bound: BoundFunction<Host>;
}

/** One VM's function instances. */
export class FunctionInstances<Host> {
  private readonly instances: Instance<Host>[] = [];
  private locked = false;

  constructor(
    private readonly registry: FunctionTypeRegistry<Host>,
    private readonly host: Host,
  ) {}

  get count(): number {
    return this.instances.length;
  }

  /** True while an add/remove holds the instance lock (tests check it is released). */
  get isLocked(): boolean {
    return this.locked;
  }

  add(typeId: number, arg: Uint8Array): HostResult<unknown> {
    if (arg.length > FN_MAX_ARG_SIZE) {
      return fail("EINVAL", `function argument of ${arg.length} bytes (max ${FN_MAX_ARG_SIZE})`);
    }
    // Copy first: the caller's buffer may change after we return (copy_from_user).
    const copy = arg.slice();
    const type = this.registry.acquire(typeId);
    if (!type.ok) return type;
    return this.withLock(
      () => {
        const bound = type.value.bind(this.host, copy);
        if (!bound.ok) {
          this.registry.release(typeId);
          return bound;
        }
        this.instances.push({ type: type.value, arg: copy, bound: bound.value });
        return ok(bound.value.value);
      },
      () => this.registry.release(typeId),
    );
  }

  remove(typeId: number, arg: Uint8Array): HostResult<void> {
    if (arg.length > FN_MAX_ARG_SIZE) return fail("EINVAL", "function argument too large");
    const copy = arg.slice();
    return this.withLock(() => {
      const at = this.instances.findIndex(
        (f) => f.type.id === typeId && f.type.compare(f.arg, copy),
      );
      const found = this.instances[at];
      if (!found) return fail("ENOENT", `no matching function of type ${typeId}`);
      this.instances.splice(at, 1);
      this.unbind(found);
      return ok(undefined);
    });
  }

  /** Teardown: removes every instance, newest first. */
  removeAll(): void {
    for (let f = this.instances.pop(); f; f = this.instances.pop()) this.unbind(f);
  }

  private unbind(f: Instance<Host>): void {
    try {
      f.bound.unbind(this.host);
    } finally {
      this.registry.release(f.type.id);
    }
  }

  /** Runs `fn` under the instance lock; `onBusy` undoes what the caller took before it. */
  private withLock<T>(fn: () => HostResult<T>, onBusy?: () => void): HostResult<T> {
    if (this.locked) {
      onBusy?.();
      return fail("EBUSY", "function list is being changed");
    }
    this.locked = true;
    try {
      return fn();
    } finally {
      this.locked = false;
    }
  }
}
