// The Resource Manager service: a native VM that owns the VM table and the memory
// parcels, serves RPC requests from its clients over message queues, and sends
// notifications. It reaches the hypervisor only by hypercall (its RootVm's port).

import type { RootVm } from "../hyp/abi/index.js";
import { InvariantError } from "../lib/assert.js";
import { RateLimitedLog } from "../lib/log.js";
import { err, ok, type Result } from "../lib/result.js";
import { Hyp } from "./hvc.js";
import {
  connectHostQueues,
  createHostObjects,
  type HostRpcCaps,
  type HostVmObjects,
} from "./host-boot.js";
import * as mem from "./mem-calls.js";
import { ParcelTable, type Parcel } from "./memparcel.js";
import { ParcelMemory, type ParcelIo } from "./parcel-memory.js";
import {
  concatBytes,
  MemMsg,
  MsgType,
  replyPayload,
  RmError,
  RmNotification,
  TransType,
  VmExitedNotification,
  Vmid,
  VmMsg,
  VmStatus,
  VmStatusNotification,
  type ExitType,
  type RpcMessage,
} from "./protocol/index.js";
import type { Reply } from "./reply.js";
import { RpcChannel, type ChannelStats } from "./transport.js";
import { VirqAllocator } from "./virq-alloc.js";
import type { BuildEnv, BuiltVcpu } from "./vm-build.js";
import * as vmc from "./vm-calls.js";
import { VmLifecycle } from "./vm-lifecycle.js";
import { VmTable, type VmRecord } from "./vm-table.js";
import { macrotask } from "../lib/macrotask.js";
import { TraceCat, type Tracer } from "../lib/trace.js";
import { traceNotification, traceRequest } from "./trace-rpc.js";
import { traceParcelOp, type ParcelOp } from "./trace-mem.js";

export interface RmOptions {
  /** The RM's own RAM (IPA == PA in its address space): one page is its packet buffer. */
  readonly ownRam: { readonly base: number; readonly size: number };
  /** Records RPC messages, VM status transitions and parcel operations (off: none). */
  readonly tracer?: Tracer;
}

type Handler = (client: number, payload: Uint8Array) => Reply;

export interface RmStats {
  readonly vms: number;
  readonly parcels: number;
  readonly hypercalls: number;
  readonly notificationsSent: number;
  readonly requests: number;
  readonly channels: Record<number, ChannelStats>;
  readonly rmVirqsInUse: number;
  readonly hostVirqsInUse: number;
}

interface HostState {
  readonly objects: HostVmObjects;
  readonly vic: bigint;
}

export class ResourceManager {
  readonly vmid: number;
  readonly hyp: Hyp;
  readonly vms = new VmTable();
  readonly parcels = new ParcelTable();
  private readonly memory: ParcelMemory;
  private readonly lifecycle: VmLifecycle;
  private readonly channels = new Map<number, RpcChannel>();
  private readonly handlers = new Map<number, Handler>();
  private readonly rmVirqs = new VirqAllocator();
  private readonly hostVirqs = new VirqAllocator();
  private readonly log = new RateLimitedLog("rm");
  private readonly bufferIpa: number;
  private host: HostState | undefined;
  private notificationSeq = 0;
  private resourceHandle = 0;
  private notificationsSent = 0;
  private requests = 0;
  private readonly tracer: Tracer | undefined;

  constructor(
    private readonly root: RootVm,
    options: RmOptions,
  ) {
    this.vmid = root.vmid;
    this.tracer = options.tracer;
    this.vms.tracer = options.tracer;
    this.hyp = new Hyp(root.hvc);
    // The last page of the RM's own RAM is its packet buffer for msgqueue send/receive.
    this.bufferIpa = options.ownRam.base + options.ownRam.size - 4096;
    this.memory = new ParcelMemory({
      hyp: this.hyp,
      partition: root.caps.partition,
      cspace: root.caps.cspace,
      rootExtent: root.caps.memextent,
      rootBase: root.caps.ramBase,
      ramOf: (vmid) => {
        const h = this.host?.objects;
        return h && vmid === h.vmid
          ? { extent: h.ramExtent, base: h.ramBase, size: h.ramSize }
          : undefined;
      },
      addrspaceOf: (vmid) =>
        vmid === this.vmid
          ? root.caps.addrspace
          : vmid === this.host?.objects.vmid
            ? this.host.objects.addrspace
            : this.vms.get(vmid)?.built?.addrspace,
    });
    this.vms.registerStatic(this.vmid, VmStatus.RUNNING);
    this.lifecycle = new VmLifecycle(this.lifecycleEnv());
    this.registerHandlers();
  }

  // ---- platform boot ------------------------------------------------------------

  /** Boot step 1: the host VM's cspace, address space, RAM mapping and RPC queues. */
  createHostVm(spec: {
    vmid: number;
    ramBase: number;
    ramSize: number;
  }): Result<HostVmObjects, string> {
    if (this.host) return err("the host VM exists already");
    return createHostObjects(this.rootEnv(), spec);
  }

  /** Boot step 2, after the hypervisor made it a native VM: VIRQs, caps, the RPC channel. */
  connectHostVm(objects: HostVmObjects, hostVic: bigint): Result<HostRpcCaps, string> {
    const wired = connectHostQueues(
      { ...this.rootEnv(), rmVic: this.root.caps.vic, rmVirqs: this.rmVirqs },
      objects,
      hostVic,
      this.hostVirqs,
    );
    if (!wired.ok) return wired;
    this.host = { objects, vic: hostVic };
    this.vms.registerStatic(objects.vmid, VmStatus.RUNNING);
    this.addChannel(objects.vmid, {
      rxCap: objects.toRm,
      txCap: objects.toHost,
      rxVirq: wired.value.rm.rxVirq,
      txVirq: wired.value.rm.txVirq,
    });
    return ok(wired.value.host);
  }

  private rootEnv() {
    return {
      hyp: this.hyp,
      partition: this.root.caps.partition,
      cspace: this.root.caps.cspace,
      rootExtent: this.root.caps.memextent,
      rootBase: this.root.caps.ramBase,
      rootSize: this.root.caps.ramSize,
    };
  }

  private addChannel(
    vmid: number,
    e: { rxCap: bigint; txCap: bigint; rxVirq: number; txVirq: number },
  ): RpcChannel {
    const channel = new RpcChannel(
      this.hyp,
      this.root.virqs,
      { ipa: this.bufferIpa, memory: this.root.memory },
      { clientVmid: vmid, ...e },
      (ch, msg) => this.onMessage(ch, msg),
    );
    this.channels.set(vmid, channel);
    return channel;
  }

  // ---- RPC ----------------------------------------------------------------------

  private onMessage(channel: RpcChannel, msg: RpcMessage): void {
    // Clients send requests only; a stray reply or notification is ignored.
    if (msg.type !== MsgType.REQUEST) return;
    const answer = () => {
      const reply = this.handleRequest(channel.clientVmid, msg.msgId, msg.payload);
      return replyPayload(reply.error, reply.data);
    };
    const t = this.tracer;
    const payload = t?.enabled(TraceCat.RPC)
      ? traceRequest(t, this.vmid, channel.clientVmid, msg, answer)
      : answer();
    channel.send({ type: MsgType.REPLY, seq: msg.seq, msgId: msg.msgId, payload });
  }

  /** Runs one request from `client` (also used directly by tests and the UDP bridge). */
  handleRequest(client: number, msgId: number, payload: Uint8Array): Reply {
    this.requests++;
    const handler = this.handlers.get(msgId >>> 0);
    if (!handler) return { error: RmError.UNIMPLEMENTED };
    return handler(client, payload);
  }

  /** Sends a notification to `vmid` if it has an RPC channel (RM-global sequence). */
  notify(vmid: number, id: number, payload: Uint8Array): void {
    const channel = this.channels.get(vmid);
    if (!channel) return;
    if (this.tracer?.enabled(TraceCat.RPC))
      traceNotification(this.tracer, this.vmid, vmid, id, payload);
    const seq = this.notificationSeq;
    this.notificationSeq = (this.notificationSeq + 1) & 0xffff;
    if (channel.send({ type: MsgType.NOTIFICATION, seq, msgId: id, payload }))
      this.notificationsSent++;
  }

  channel(vmid: number): RpcChannel | undefined {
    return this.channels.get(vmid);
  }

  private registerHandlers(): void {
    const env = this.vmCallEnv();
    const vm: [number, (e: vmc.VmCallEnv, c: number, p: Uint8Array) => Reply][] = [
      [VmMsg.VM_ALLOC_VMID, vmc.vmAllocVmid],
      [VmMsg.VM_DEALLOC_VMID, vmc.vmDeallocVmid],
      [VmMsg.VM_START, vmc.vmStart],
      [VmMsg.VM_STOP, vmc.vmStop],
      [VmMsg.VM_RESET, vmc.vmReset],
      [VmMsg.VM_CONFIG_IMAGE, vmc.vmConfigImage],
      [VmMsg.VM_INIT, vmc.vmInit],
      [VmMsg.VM_GET_STATE, vmc.vmGetState],
      [VmMsg.VM_GET_HYP_RESOURCES, vmc.vmGetHypResources],
      [VmMsg.VM_GET_VMID, vmc.vmGetVmid],
      [VmMsg.VM_SET_BOOT_CONTEXT, vmc.vmSetBootContext],
      [VmMsg.VM_SET_TIME_BASE, vmc.vmSetTimeBase],
      [VmMsg.VM_SET_DEMAND_PAGING, vmc.vmSetDemandPaging],
      [VmMsg.VM_SET_ADDRESS_LAYOUT, vmc.vmSetAddressLayout],
      [VmMsg.VM_EXIT, vmc.vmExit],
    ];
    for (const [id, fn] of vm) this.handlers.set(id, (c, p) => fn(env, c, p));
    const parcelOp = (id: number, op: ParcelOp, fn: Handler) =>
      this.handlers.set(id, (c, p) =>
        this.tracer?.enabled(TraceCat.MEM)
          ? traceParcelOp(this.tracer, this.vmid, this.parcels, { op, caller: c, payload: p }, fn)
          : fn(c, p),
      );
    parcelOp(MemMsg.MEM_LEND, "lend", (c, p) => mem.memCreate(env, c, TransType.LEND, p));
    parcelOp(MemMsg.MEM_SHARE, "share", (c, p) => mem.memCreate(env, c, TransType.SHARE, p));
    parcelOp(MemMsg.MEM_DONATE, "donate", (c, p) => mem.memCreate(env, c, TransType.DONATE, p));
    this.handlers.set(MemMsg.MEM_APPEND, (c, p) => mem.memAppend(env, c, p));
    parcelOp(MemMsg.MEM_ACCEPT, "accept", (c, p) => mem.memAccept(env, c, p));
    parcelOp(MemMsg.MEM_RELEASE, "release", (c, p) => mem.memRelease(env, c, p));
    parcelOp(MemMsg.MEM_RECLAIM, "reclaim", (c, p) => mem.memReclaim(env, c, p));
    this.handlers.set(MemMsg.MEM_NOTIFY, (c, p) => mem.memNotify(env, c, p));
  }

  // ---- environments for the call handlers ----------------------------------------

  private buildEnv(): BuildEnv {
    const hostOf = () => this.hostForBuild();
    return {
      hyp: this.hyp,
      partition: this.root.caps.partition,
      cspace: this.root.caps.cspace,
      rootExtent: this.root.caps.memextent,
      rootBase: this.root.caps.ramBase,
      rmVic: this.root.caps.vic,
      rmVirqs: this.rmVirqs,
      rmVirqSink: this.root.virqs,
      get host() {
        return hostOf();
      },
      nextResourceHandle: () => ++this.resourceHandle >>> 0,
      openChannel: (vmid, endpoint) => {
        const channel = this.addChannel(vmid, endpoint);
        return () => {
          channel.close();
          if (this.channels.get(vmid) === channel) this.channels.delete(vmid);
        };
      },
      onVcpuHalt: (vmid: number, vcpu: BuiltVcpu) => {
        const vm = this.vms.get(vmid);
        if (vm) this.lifecycle.vcpuHalted(vm, vcpu);
      },
    };
  }

  private hostForBuild(): BuildEnv["host"] {
    const h = this.host;
    // VM_INIT arrives over the host's channel, which exists only once the host does.
    if (!h) throw new InvariantError("VM_INIT before the host VM exists");
    return {
      vmid: h.objects.vmid,
      cspace: h.objects.cspace,
      vic: h.vic,
      virqs: this.hostVirqs,
      ramExtent: h.objects.ramExtent,
      ramBase: h.objects.ramBase,
      ramSize: h.objects.ramSize,
    };
  }

  private lifecycleEnv() {
    return {
      vms: this.vms,
      parcels: this.parcels,
      memory: this.memory,
      hyp: this.hyp,
      buildEnv: this.buildEnv(),
      isStaticVm: (vmid: number) => vmid === this.vmid || vmid === this.host?.objects.vmid,
      notify: (vmid: number, id: number, payload: Uint8Array) => this.notify(vmid, id, payload),
      withParcel: <T>(handle: number, use: (io: ParcelIo) => T): Result<T, RmError> => {
        const parcel = this.parcels.get(handle);
        if (!parcel) return err(RmError.HANDLE_INVALID);
        return this.memory.withRmMapping(parcel, this.vmid, this.ramIo(), use);
      },
      sanitize: (parcel: Parcel) => {
        const zeroed = this.memory.withRmMapping(parcel, this.vmid, this.ramIo(), (io) => {
          const chunk = new Uint8Array(64 * 1024);
          for (let at = 0; at < io.size; at += chunk.length)
            if (!io.write(at, chunk.subarray(0, Math.min(chunk.length, io.size - at))))
              return false;
          return true;
        });
        return zeroed.ok && zeroed.value;
      },
      statusChanged: (vm: VmRecord) => this.statusChanged(vm),
      exited: (vm: VmRecord, exitType: ExitType, reason: Uint8Array) =>
        this.exited(vm, exitType, reason),
      defer: (fn: () => void) => macrotask(fn),
      hasChannel: (vmid: number) => this.channels.has(vmid),
    };
  }

  private vmCallEnv(): vmc.VmCallEnv {
    return { ...this.lifecycleEnv(), lifecycle: this.lifecycle };
  }

  private ramIo() {
    return {
      read: (pa: number, length: number) => {
        const r = this.root.memory.read(pa, length);
        return r.ok ? r.value : undefined;
      },
      write: (pa: number, data: Uint8Array) => this.root.memory.write(pa, data).ok,
    };
  }

  private statusChanged(vm: VmRecord): void {
    this.notify(
      vm.owner,
      RmNotification.VM_STATUS,
      VmStatusNotification.encode({
        vmid: vm.vmid,
        vmStatus: vm.status,
        osStatus: vm.osStatus,
        appStatus: vm.appStatus,
      }),
    );
  }

  private exited(vm: VmRecord, exitType: ExitType, reason: Uint8Array): void {
    this.notify(
      vm.owner,
      RmNotification.VM_EXITED,
      concatBytes(
        VmExitedNotification.encode({ vmid: vm.vmid, exitType, reasonSize: reason.length }),
        reason,
      ),
    );
  }

  // ---- introspection --------------------------------------------------------------

  stats(): RmStats {
    const channels: Record<number, ChannelStats> = {};
    for (const [vmid, c] of this.channels) channels[vmid] = { ...c.stats };
    return {
      vms: this.vms.size,
      parcels: this.parcels.size,
      hypercalls: this.hyp.calls,
      notificationsSent: this.notificationsSent,
      requests: this.requests,
      channels,
      rmVirqsInUse: this.rmVirqs.inUse,
      hostVirqsInUse: this.hostVirqs.inUse,
    };
  }

  /** VMIDs the RM manages for clients (not itself or the host). */
  dynamicVmids(): number[] {
    return this.vms
      .all()
      .map((v) => v.vmid)
      .filter((v) => v >= Vmid.DYNAMIC_FIRST && v <= Vmid.DYNAMIC_LAST);
  }
}
