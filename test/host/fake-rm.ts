// A fake Resource Manager for host tests: it speaks the real packet format (via
// rm/protocol) over an in-memory transport, keeps a small VM and parcel table, and
// records every request so tests can check the host's sequence and its clean-up.

import { HypError } from "../../src/hyp/abi/index.js";
import { err, ok, type Result } from "../../src/lib/result.js";
import {
  concatBytes,
  fragmentMessage,
  HypResourceEntry,
  HypResourcesHeader,
  MemHandleReply,
  MemMsg,
  MemReleaseRequest,
  MsgType,
  Reassembler,
  replyPayload,
  RmError,
  RmNotification,
  VmExitedNotification,
  VmidReply,
  VmMsg,
  VmStatus,
  VmStatusNotification,
  VmStopRequest,
  type RpcMessage,
} from "../../src/rm/protocol/index.js";
import { fromHypError, type GunyahError } from "../../src/host/errors.js";
import type { RmTransport } from "../../src/host/rm/transport.js";
import type { RawHypResource } from "../../src/host/rm/calls.js";

export interface FakeVm {
  status: number;
  readonly calls: string[];
}

export interface FakeParcel {
  readonly vmid: number;
  readonly payload: Uint8Array;
  readonly kind: "lend" | "share";
}

const ID_NAMES = new Map<number, string>(
  [...Object.entries(VmMsg), ...Object.entries(MemMsg)].map(([k, v]) => [v, k]),
);

export function resource(type: number, label: number, capId: bigint, virq = 0): RawHypResource {
  return { type, partnerVmid: 3, handle: 0, label, capId, virqHandle: 0, virq, base: 0n, size: 0n };
}

export class FakeRm {
  readonly requests: RpcMessage[] = [];
  readonly vms = new Map<number, FakeVm>();
  readonly parcels = new Map<number, FakeParcel>();
  /** Errors to answer a message id with (persistent until deleted). */
  readonly errors = new Map<number, number>();
  /** Raw reply data (after an OK error word) to send instead of the real answer. */
  readonly rawReplies = new Map<number, Uint8Array>();
  /** Resources VM_GET_HYP_RESOURCES returns for a VMID. */
  resourcesFor: (vmid: number) => RawHypResource[] = () => [];
  /** Send VM_EXITED after a forced VM_STOP, and VM_STATUS RESET after VM_RESET. */
  autoNotify = true;
  /**
   * How long VM_RESET takes (ms; Infinity: it never finishes): the VM is RESETTING
   * meanwhile (VM_STATUS RESETTING, VM_GET_STATE says so), as the real RM's staged
   * reset is on a loaded machine. 0: RESET at once.
   */
  resetTakesMs = 0;
  /** Do not answer requests (to test timeouts). */
  silent = false;
  /** Host-to-RM queue capacity before MSGQUEUE_FULL. */
  capacity = Infinity;
  inFlight = 0;
  maxInFlight = 0;
  seqs: number[] = [];

  private readonly held: RpcMessage[] = [];
  private readonly reassembler = new Reassembler();
  private readonly toRm: Array<{ bytes: Uint8Array; push: boolean }> = [];
  private readonly toHost: Uint8Array[] = [];
  private readonly rxHandlers = new Set<() => void>();
  private readonly txHandlers = new Set<() => void>();
  private nextVmid = 0x80;
  private nextHandle = 0x1000;
  private notifySeq = 0;

  readonly transport: RmTransport = {
    send: (bytes, push): Result<void, GunyahError> => {
      if (this.toRm.length >= this.capacity) {
        return err(fromHypError(HypError.MSGQUEUE_FULL, "msgqueue_send"));
      }
      this.toRm.push({ bytes: bytes.slice(), push });
      setImmediate(() => this.process());
      return ok(undefined);
    },
    receive: () => ok(this.toHost.shift()),
    onReceivable: (h) => {
      this.rxHandlers.add(h);
      return () => this.rxHandlers.delete(h);
    },
    onSendable: (h) => {
      this.txHandlers.add(h);
      return () => this.txHandlers.delete(h);
    },
  };

  /** Names of the requests received, in order. */
  get log(): string[] {
    return this.requests.map((r) => ID_NAMES.get(r.msgId) ?? r.msgId.toString(16));
  }

  /** Puts raw bytes in the host's receive queue (malformed-packet tests). */
  sendRaw(bytes: Uint8Array): void {
    this.toHost.push(bytes);
    this.kick();
  }

  notify(msgId: number, payload: Uint8Array): void {
    const packets = fragmentMessage({
      type: MsgType.NOTIFICATION,
      seq: this.notifySeq++ & 0xffff,
      msgId,
      payload,
    });
    if (!packets.ok) throw new Error("notification too large");
    for (const p of packets.value) this.toHost.push(p.bytes);
    this.kick();
  }

  notifyStatus(vmid: number, status: number): void {
    const vm = this.vms.get(vmid);
    if (vm) vm.status = status;
    this.notify(
      RmNotification.VM_STATUS,
      VmStatusNotification.encode({ vmid, vmStatus: status, osStatus: 0, appStatus: 0 }),
    );
  }

  notifyExited(vmid: number, exitType: number, reason: Uint8Array = new Uint8Array(0)): void {
    const vm = this.vms.get(vmid);
    if (vm) vm.status = VmStatus.EXITED;
    this.notify(
      RmNotification.VM_EXITED,
      concatBytes(
        VmExitedNotification.encode({ vmid, exitType, reasonSize: reason.length }),
        reason,
      ),
    );
  }

  private kick(): void {
    setImmediate(() => {
      for (const h of [...this.rxHandlers]) h();
    });
  }

  private process(): void {
    const wasFull = this.toRm.length >= this.capacity;
    for (let p = this.toRm.shift(); p; p = this.toRm.shift()) {
      const r = this.reassembler.push(p.bytes);
      if (r.kind === "message") this.handle(r.message);
    }
    if (wasFull) for (const h of [...this.txHandlers]) h();
  }

  private handle(msg: RpcMessage): void {
    this.requests.push(msg);
    this.seqs.push(msg.seq);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.silent) {
      this.held.push(msg);
      return;
    }
    this.answer(msg);
  }

  /** Answers the requests held while `silent` was set. */
  release(): void {
    this.silent = false;
    for (let m = this.held.shift(); m; m = this.held.shift()) this.answer(m);
  }

  private answer(msg: RpcMessage): void {
    const forced = this.errors.get(msg.msgId);
    const raw = this.rawReplies.get(msg.msgId);
    const answer =
      forced !== undefined
        ? { error: forced }
        : raw !== undefined
          ? { error: RmError.OK, data: raw }
          : this.execute(msg);
    this.inFlight--;
    const packets = fragmentMessage({
      type: MsgType.REPLY,
      seq: msg.seq,
      msgId: msg.msgId,
      payload: replyPayload(answer.error, answer.data),
    });
    if (!packets.ok) throw new Error("reply too large");
    for (const p of packets.value) this.toHost.push(p.bytes);
    this.kick();
    answer.after?.();
  }

  private reset(vmid: number, vm: FakeVm): void {
    const done = () => {
      if (this.autoNotify) this.notifyStatus(vmid, VmStatus.RESET);
      else vm.status = VmStatus.RESET;
    };
    if (this.resetTakesMs === 0) return done();
    if (this.autoNotify) this.notifyStatus(vmid, VmStatus.RESETTING);
    else vm.status = VmStatus.RESETTING;
    if (Number.isFinite(this.resetTakesMs)) setTimeout(done, this.resetTakesMs);
  }

  private vmOf(payload: Uint8Array): [number, FakeVm | undefined] {
    // Every VM call starts with a u16 vmid; what follows differs per call.
    const vmid =
      payload.length >= 2
        ? new DataView(payload.buffer, payload.byteOffset).getUint16(0, true)
        : -1;
    return [vmid, this.vms.get(vmid)];
  }

  private execute(msg: RpcMessage): { error: number; data?: Uint8Array; after?: () => void } {
    const OK = RmError.OK;
    const [vmid, vm] = this.vmOf(msg.payload);
    vm?.calls.push(ID_NAMES.get(msg.msgId) ?? "?");
    switch (msg.msgId) {
      case VmMsg.VM_ALLOC_VMID: {
        const id = this.nextVmid++;
        this.vms.set(id, { status: VmStatus.LOAD, calls: [] });
        return { error: OK, data: VmidReply.encode({ vmid: id }) };
      }
      case VmMsg.VM_DEALLOC_VMID:
        if (!vm) return { error: RmError.VMID_INVALID };
        if (vm.status !== VmStatus.LOAD && vm.status !== VmStatus.RESET)
          return { error: RmError.VM_STATE };
        this.vms.delete(vmid);
        return { error: OK };
      case VmMsg.VM_INIT:
        if (!vm) return { error: RmError.VMID_INVALID };
        vm.status = VmStatus.READY;
        return { error: OK };
      case VmMsg.VM_START:
        if (!vm || vm.status !== VmStatus.READY) return { error: RmError.VM_STATE };
        vm.status = VmStatus.RUNNING;
        return { error: OK };
      case VmMsg.VM_STOP: {
        const stop = VmStopRequest.decode(msg.payload);
        const target = this.vms.get(stop?.vmid ?? -1);
        if (!target || !stop) return { error: RmError.VMID_INVALID };
        return {
          error: OK,
          after: () => {
            if (this.autoNotify) this.notifyExited(stop.vmid, 7);
            else target.status = VmStatus.EXITED;
          },
        };
      }
      case VmMsg.VM_RESET:
        if (!vm) return { error: RmError.VMID_INVALID };
        return { error: OK, after: () => this.reset(vmid, vm) };
      case VmMsg.VM_GET_HYP_RESOURCES: {
        if (!vm) return { error: RmError.VMID_INVALID };
        const list = this.resourcesFor(vmid);
        return {
          error: OK,
          data: concatBytes(
            HypResourcesHeader.encode({ count: list.length }),
            ...list.map((r) => HypResourceEntry.encode(r)),
          ),
        };
      }
      case VmMsg.VM_GET_STATE:
        if (!vm) return { error: RmError.VMID_INVALID };
        return { error: OK, data: new Uint8Array([vm.status, 0, 0, 0]) };
      case VmMsg.VM_CONFIG_IMAGE:
      case VmMsg.VM_SET_BOOT_CONTEXT:
      case VmMsg.VM_SET_DEMAND_PAGING:
      case VmMsg.VM_SET_ADDRESS_LAYOUT:
        return { error: vm ? OK : RmError.VMID_INVALID };
      case MemMsg.MEM_LEND:
      case MemMsg.MEM_SHARE: {
        const handle = this.nextHandle++;
        const aclVmid = new DataView(msg.payload.buffer, msg.payload.byteOffset).getUint16(
          12,
          true,
        );
        this.parcels.set(handle, {
          vmid: aclVmid,
          payload: msg.payload,
          kind: msg.msgId === MemMsg.MEM_LEND ? "lend" : "share",
        });
        return { error: OK, data: MemHandleReply.encode({ handle }) };
      }
      case MemMsg.MEM_RECLAIM: {
        const req = MemReleaseRequest.decode(msg.payload);
        if (!req || !this.parcels.delete(req.handle)) return { error: RmError.HANDLE_INVALID };
        return { error: OK };
      }
      default:
        return { error: RmError.UNIMPLEMENTED };
    }
  }
}
