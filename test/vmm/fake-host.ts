// A small fake of the host's user interface for VMM tests: guest memory is a plain
// buffer, and each vCPU "runs" a script of exits written into the run structure in
// the v17 byte layout (offsets written out here by hand, independently of the VMM's
// own accessor, so a layout mistake on either side shows up).

import { err, ok, type Result } from "../../src/lib/result.js";
import type {
  BootRegister,
  GuestMemoryPort,
  HostCall,
  HostFailure,
  HypervisorPort,
  IrqfdPort,
  MapRequest,
  VcpuPort,
  VmPort,
} from "../../src/vmm/host-port.js";

export type Step =
  | { readonly mmioWrite: number; readonly width: number; readonly value: bigint }
  | { readonly mmioRead: number; readonly width: number }
  | { readonly status: number; readonly exitType: number; readonly reason?: number[] }
  | { readonly pageFault: number }
  | { readonly hang: true }
  /** MMIO reads of `address` forever, each resolved without a macrotask (a polling guest). */
  | { readonly spinRead: number }
  | { readonly hostError: string }
  | { readonly exitCode: number };

export interface MmioReply {
  readonly address: number;
  readonly value: bigint;
  readonly action: number;
}

export class FakeMemory implements GuestMemoryPort {
  readonly bytes: Uint8Array;
  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
  }
  write(offset: number, data: Uint8Array): Result<void, HostFailure> {
    if (offset < 0 || offset + data.length > this.size)
      return err({ message: "EFAULT: outside guest memory" });
    this.bytes.set(data, offset);
    return ok();
  }
  read(offset: number, length: number): Result<Uint8Array, HostFailure> {
    if (offset < 0 || offset + length > this.size)
      return err({ message: "EFAULT: outside guest memory" });
    if (this.lent) return err({ message: "EFAULT: lent to the guest" });
    return ok(this.bytes.slice(offset, offset + length));
  }
  /** Set when the builder maps the memory lent: the host can no longer read it. */
  lent = false;
}

export class FakeVcpu implements VcpuPort {
  readonly runStructure = new SharedArrayBuffer(4096);
  readonly replies: MmioReply[] = [];
  private readonly view = new DataView(this.runStructure);
  private step = 0;
  private pendingRead: number | undefined;

  constructor(
    readonly index: number,
    private readonly script: readonly Step[],
  ) {}

  async run(): HostCall<void> {
    this.collectReply();
    const spinning = this.script[this.step];
    if (spinning && "spinRead" in spinning) {
      if (this.view.getUint8(0) !== 0) return err({ message: "EINTR: immediate_exit" });
      this.writeMmio(spinning.spinRead, 4, false, 0n);
      this.pendingRead = spinning.spinRead;
      return ok();
    }
    await new Promise((r) => setImmediate(r));
    if (this.view.getUint8(0) !== 0) return err({ message: "EINTR: immediate_exit" });
    const s = this.script[this.step++];
    if (!s) return err({ message: "fake: script ran out" });
    if ("hang" in s) return this.hang();
    if ("spinRead" in s) return ok();
    if ("hostError" in s) return err({ message: s.hostError });
    if ("mmioWrite" in s) this.writeMmio(s.mmioWrite, s.width, true, s.value);
    else if ("mmioRead" in s) {
      this.writeMmio(s.mmioRead, s.width, false, 0n);
      this.pendingRead = s.mmioRead;
    } else if ("status" in s) this.writeStatus(s.status, s.exitType, s.reason ?? []);
    else if ("pageFault" in s) {
      this.view.setUint32(8, 3, true);
      this.view.setBigUint64(16, BigInt(s.pageFault), true);
      this.view.setInt32(24, -14, true);
      this.view.setUint8(28, 0xee); // the VMM must overwrite resume_action
    } else this.view.setUint32(8, s.exitCode, true);
    return ok();
  }

  /** Spins (yielding) until immediate_exit is set, like a guest in an endless loop. */
  private async hang(): HostCall<void> {
    while (this.view.getUint8(0) === 0) await new Promise((r) => setTimeout(r, 5));
    return err({ message: "EINTR: immediate_exit" });
  }

  private writeMmio(addr: number, len: number, isWrite: boolean, value: bigint): void {
    new Uint8Array(this.runStructure).fill(0, 16, 48);
    this.view.setUint32(8, 1, true);
    this.view.setBigUint64(16, BigInt(addr), true);
    this.view.setBigUint64(24, value, true);
    this.view.setUint32(32, len, true);
    this.view.setUint8(36, isWrite ? 1 : 0);
    this.view.setUint8(37, 0xee); // the VMM must overwrite resume_action
  }

  private writeStatus(status: number, exitType: number, reason: number[]): void {
    new Uint8Array(this.runStructure).fill(0, 16, 48);
    this.view.setUint32(8, 2, true);
    this.view.setUint32(16, status, true);
    this.view.setUint16(20, exitType, true);
    this.view.setUint32(24, reason.length, true);
    reason.slice(0, 8).forEach((b, i) => this.view.setUint8(28 + i, b));
  }

  private collectReply(): void {
    if (this.view.getUint32(8, true) === 3) {
      const address = Number(this.view.getBigUint64(16, true));
      this.replies.push({ address, value: 0n, action: this.view.getUint8(28) });
      this.view.setUint32(8, 0, true);
      return;
    }
    if (this.view.getUint32(8, true) !== 1) return;
    const address = Number(this.view.getBigUint64(16, true));
    this.replies.push({
      address,
      value: this.pendingRead !== undefined ? this.view.getBigUint64(24, true) : 0n,
      action: this.view.getUint8(37),
    });
    this.pendingRead = undefined;
  }
}

export class FakeVm implements VmPort {
  readonly maps: MapRequest[] = [];
  readonly bootRegisters: Array<{ register: BootRegister; value: bigint }> = [];
  dtbConfig: { addr: number; size: number } | undefined;
  readonly vcpus: FakeVcpu[] = [];
  readonly irqfds: Array<{ label: number; level: boolean; triggers: number }> = [];
  started = false;
  closed = 0;
  readonly addIrqfd: ((label: number, level: boolean) => HostCall<IrqfdPort>) | undefined;

  constructor(
    private readonly scripts: readonly (readonly Step[])[],
    withIrqfd: boolean,
    private readonly failStart = false,
  ) {
    this.addIrqfd = withIrqfd
      ? async (label, level) => {
          const entry = { label, level, triggers: 0 };
          this.irqfds.push(entry);
          return ok({ trigger: () => void entry.triggers++ });
        }
      : undefined;
  }

  async mapMemory(request: MapRequest): HostCall<void> {
    this.maps.push(request);
    if (request.access === "lend" && "lent" in request.memory)
      (request.memory as FakeMemory).lent = true;
    return ok();
  }
  async setDtbConfig(addr: number, size: number): HostCall<void> {
    this.dtbConfig = { addr, size };
    return ok();
  }
  async setBootRegister(register: BootRegister, value: bigint): HostCall<void> {
    this.bootRegisters.push({ register, value });
    return ok();
  }
  async addVcpu(index: number): HostCall<VcpuPort> {
    const v = new FakeVcpu(index, this.scripts[index] ?? [{ hang: true }]);
    this.vcpus.push(v);
    return ok(v);
  }
  /** The vRTC time bases asked for (VmPort.setTimeBase). */
  readonly timeBases: bigint[] = [];
  readonly setTimeBase = async (timeBaseNs: bigint): HostCall<void> => {
    this.timeBases.push(timeBaseNs);
    return ok();
  };
  async start(): HostCall<void> {
    if (this.failStart) return err({ message: "EINVAL: VM_INIT failed" });
    this.started = true;
    return ok();
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

export class FakeHypervisor implements HypervisorPort {
  vm: FakeVm | undefined;
  memory: FakeMemory | undefined;

  constructor(
    private readonly scripts: readonly (readonly Step[])[],
    private readonly options: { irqfd?: boolean; failStart?: boolean; memoryLimit?: number } = {},
  ) {}

  async createVm(): HostCall<VmPort> {
    this.vm = new FakeVm(this.scripts, this.options.irqfd ?? true, this.options.failStart);
    return ok(this.vm);
  }

  async createGuestMemory(size: number): HostCall<GuestMemoryPort> {
    if (size > (this.options.memoryLimit ?? Infinity))
      return err({ message: "ENOMEM: no host memory" });
    this.memory = new FakeMemory(size);
    return ok(this.memory);
  }
}

/** Steps that write `text` to the PL011 data register, byte by byte, as the demo does. */
export function uartWrites(text: string, base = 0x0900_0000): Step[] {
  return [...new TextEncoder().encode(text)].flatMap((b) => [
    { mmioRead: base + 0x18, width: 4 },
    { mmioWrite: base, width: 4, value: BigInt(b) },
  ]);
}
