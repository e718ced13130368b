// Test doubles below the host: a hypervisor port that records every hypercall and
// answers from scripts, a native VM's RAM view that refuses lent pages, and a VIRQ
// sink whose interrupts tests fire by hand. Deliberately small and independent of
// src/hyp so host tests pin the host's own behaviour.

import {
  API_INFO_IS_64BIT,
  API_VARIANT_GUNYAH,
  Call,
  DonateType,
  HYPERCALL_BASE,
  HypError,
  type HypercallPort,
  type HypercallResult,
  type NativeMemory,
  type NativeVm,
  type VirqSink,
} from "../../src/hyp/abi/index.js";

export const PAGE = 4096;

export class FakeVirqs implements VirqSink {
  readonly handlers = new Map<number, Set<() => void>>();

  onVirq(virq: number, handler: () => void): () => void {
    let set = this.handlers.get(virq);
    if (!set) this.handlers.set(virq, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Asserts a VIRQ: handlers run on a later turn, as the VirqSink contract says. */
  fire(virq: number): void {
    setImmediate(() => {
      for (const h of [...(this.handlers.get(virq) ?? [])]) h();
    });
  }

  bound(virq: number): number {
    return this.handlers.get(virq)?.size ?? 0;
  }
}

export class FakeMemory implements NativeMemory {
  private readonly pages = new Map<number, Uint8Array>();
  /** Pages the host no longer reaches (lent to a guest). */
  readonly unreachable = new Set<number>();

  constructor(
    readonly base: number,
    readonly size: number,
  ) {}

  private page(n: number): Uint8Array {
    let p = this.pages.get(n);
    if (!p) this.pages.set(n, (p = new Uint8Array(PAGE)));
    return p;
  }

  private check(ipa: number, length: number): number | undefined {
    if (ipa < this.base || ipa + length > this.base + this.size) return HypError.ADDR_INVALID;
    for (let a = ipa - (ipa % PAGE); a < ipa + length; a += PAGE) {
      if (this.unreachable.has(a / PAGE)) return HypError.ADDR_INVALID;
    }
    return undefined;
  }

  read(ipa: number, length: number) {
    const e = this.check(ipa, length);
    if (e !== undefined) return { ok: false as const, error: e };
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const a = ipa + i;
      out[i] = this.page(Math.floor(a / PAGE))[a % PAGE] ?? 0;
    }
    return { ok: true as const, value: out };
  }

  write(ipa: number, data: Uint8Array) {
    const e = this.check(ipa, data.length);
    if (e !== undefined) return { ok: false as const, error: e };
    for (let i = 0; i < data.length; i++) {
      const a = ipa + i;
      this.page(Math.floor(a / PAGE))[a % PAGE] = data[i] ?? 0;
    }
    return { ok: true as const, value: undefined };
  }
}

export interface RecordedCall {
  readonly name: string;
  readonly args: readonly bigint[];
}

const NAMES = new Map<number, string>(Object.entries(Call).map(([k, v]) => [v, k]));

/** What a scripted vcpu_run returns: [state, data0, data1, data2] or a hypervisor error. */
export type RunAnswer = { state: number; data?: [bigint?, bigint?, bigint?] } | { error: number };

export class FakeHyp implements HypercallPort {
  readonly calls: RecordedCall[] = [];
  /** Answers to vcpu_run, per vCPU cap, consumed in order; empty = POWERED_OFF. */
  readonly runScripts = new Map<bigint, RunAnswer[]>();
  /** Resume words each vcpu_run received. */
  readonly resumes: Array<readonly bigint[]> = [];
  /** Calls to fail with a given error. */
  readonly failures = new Map<string, number>();

  constructor(
    private readonly memory?: FakeMemory,
    private readonly ramBase = 0,
  ) {}

  named(name: string): RecordedCall[] {
    return this.calls.filter((c) => c.name === name);
  }

  hvc(functionId: number, args: readonly bigint[]): HypercallResult {
    const n = (functionId - HYPERCALL_BASE) >>> 0;
    const name = NAMES.get(n) ?? `0x${n.toString(16)}`;
    this.calls.push({ name, args: [...args] });
    const failure = this.failures.get(name);
    if (failure !== undefined) return [BigInt.asUintN(64, BigInt(failure)), 0n, 0n, 0n];
    switch (n) {
      case Call.HYPERVISOR_IDENTIFY:
        return [(API_VARIANT_GUNYAH << 56n) | API_INFO_IS_64BIT | 1n, 0xfffn, 0n, 0n];
      case Call.MEMEXTENT_DONATE:
        return this.donate(args);
      case Call.VCPU_RUN:
        return this.vcpuRun(args);
      default:
        return [0n, 0n, 0n, 0n];
    }
  }

  private donate(args: readonly bigint[]): HypercallResult {
    const type = Number((args[0] ?? 0n) & 0xffn);
    const page = (this.ramBase + Number(args[3] ?? 0n)) / PAGE;
    const pages = Number(args[4] ?? 0n) / PAGE;
    for (let p = page; p < page + pages; p++) {
      if (type === DonateType.TO_PROTECTED) this.memory?.unreachable.add(p);
      if (type === DonateType.FROM_PROTECTED) this.memory?.unreachable.delete(p);
    }
    return [0n, 0n, 0n, 0n];
  }

  private vcpuRun(args: readonly bigint[]): HypercallResult {
    const cap = args[0] ?? 0n;
    this.resumes.push(args.slice(1, 4));
    const next = this.runScripts.get(cap)?.shift() ?? { state: 2 };
    if ("error" in next) return [BigInt.asUintN(64, BigInt(next.error)), 0n, 0n, 0n];
    const [d0 = 0n, d1 = 0n, d2 = 0n] = next.data ?? [];
    // X4 (data2) follows X0..X3, as gunyah-abi.md's vcpu_run returns it.
    return [0n, BigInt(next.state), d0, d1, d2] as unknown as HypercallResult;
  }
}

export interface FakeNative {
  readonly vm: NativeVm;
  readonly hyp: FakeHyp;
  readonly memory: FakeMemory;
  readonly virqs: FakeVirqs;
}

export function fakeNativeVm(ramBase = 0x8000_0000, ramSize = 64 << 20): FakeNative {
  const memory = new FakeMemory(ramBase, ramSize);
  const hyp = new FakeHyp(memory, ramBase);
  const virqs = new FakeVirqs();
  // A counter that moves on each read, as a real one would between two reads.
  let ticks = 1000n;
  const counter = () => (ticks += 16n);
  return { vm: { vmid: 3, hvc: hyp, virqs, memory, counter }, hyp, memory, virqs };
}
