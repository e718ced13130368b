// The GDB remote protocol engine (GDB manual, "Remote Protocol"): one client, all-stop
// mode, each vCPU a thread (thread id = vCPU index + 1). It speaks to a byte-stream
// transport and drives a GdbTarget (gate.ts over the host's vCPU debug extension).
// Every packet is untrusted: unknown ones get the empty reply, malformed ones `E01`,
// memory that cannot be reached `E0e`; nothing a client sends can throw out of here or
// reach the guest except through the target's checked calls.

import { type Result } from "../../lib/result.js";
import {
  MAX_PACKET,
  PacketParser,
  framePacket,
  fromHex,
  hexLe,
  leValue,
  parseHex64,
  toHex,
  unescapeBinary,
} from "./packet.js";
import { REGISTER_BYTES, TARGET_XML } from "./target-xml.js";

export interface WatchRequest {
  readonly address: bigint;
  readonly length: number;
  /** Z2 write, Z3 read, Z4 access. */
  readonly type: 2 | 3 | 4;
}

/** What stopped the guest, as the target reports it. */
export interface StopEvent {
  /** vCPU index. */
  readonly vcpu: number;
  readonly reason: "interrupt" | "breakpoint" | "step" | "watchpoint";
  /** For a watchpoint: the data address and whether the access wrote. */
  readonly address?: bigint;
  readonly isWrite?: boolean;
}

export interface GdbTarget {
  readonly vcpuCount: number;
  readRegister(vcpu: number, reg: number): Result<bigint, string>;
  writeRegister(vcpu: number, reg: number, value: bigint): Result<void, string>;
  readMemory(vcpu: number, address: bigint, length: number): Result<Uint8Array, string>;
  writeMemory(vcpu: number, address: bigint, data: Uint8Array): Result<void, string>;
  /**
   * Arms breakpoints and watchpoints on every vCPU and resumes: `step` single-steps that
   * vCPU alone, otherwise all continue. A stop is reported later through onStop.
   */
  resume(arm: { breakpoints: bigint[]; watchpoints: WatchRequest[] }, step?: number): void;
  /** Stops every vCPU (Ctrl-C); the stop is reported through onStop. */
  interrupt(): void;
  /** Disarms everything and lets the guest run on without a debugger. */
  detach(): void;
  kill(): void;
}

export interface Transport {
  send(bytes: Uint8Array): void;
  close(): void;
}

const SIGINT = 2;
const SIGTRAP = 5;
/** Most bytes one m/M/X may move (the reply or the packet must fit MAX_PACKET). */
const MAX_MEMORY = (MAX_PACKET - 32) >> 1;
const MAX_BREAKPOINTS = 256;
const MAX_WATCHPOINTS = 32;
/** Packets kept while the guest runs (GDB sends none in all-stop; a hostile client might). */
const MAX_QUEUED = 16;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("latin1");

export class GdbStub {
  private readonly parser = new PacketParser();
  private running = false;
  /** A `?` or resume is waiting for the stop. */
  private stopWanted = false;
  private lastStop: StopEvent | undefined;
  private gThread = 1;
  private cThread = -1;
  private readonly swBreaks = new Set<bigint>();
  private readonly hwBreaks = new Set<bigint>();
  private watches: WatchRequest[] = [];
  private lastSent: Uint8Array | undefined;
  private closed = false;
  private queued: { text: string; raw: Uint8Array }[] = [];

  constructor(
    private readonly transport: Transport,
    private readonly target: GdbTarget,
    /** The guest is already stopped (--gdb-wait, or after a stop): `?` answers at once. */
    initialStop?: StopEvent,
  ) {
    this.lastStop = initialStop;
    if (!initialStop) {
      // All-stop: a debugger that attaches to a running guest stops it first.
      this.running = true;
      this.target.interrupt();
    }
  }

  /** Bytes from the client. */
  receive(bytes: Uint8Array): void {
    for (const e of this.parser.feed(bytes)) {
      if (this.closed) return;
      switch (e.kind) {
        case "packet":
          this.transport.send(Uint8Array.of(0x2b)); // '+'
          this.handle(textDecoder.decode(e.payload), e.payload);
          break;
        case "interrupt":
          if (this.running) this.target.interrupt();
          break;
        case "nak":
          if (this.lastSent) this.transport.send(this.lastSent);
          break;
        case "bad-checksum":
          this.transport.send(Uint8Array.of(0x2d)); // '-'
          break;
        case "oversized":
          this.transport.send(Uint8Array.of(0x2b));
          this.reply("E01");
          break;
        case "ack":
          break;
      }
    }
  }

  /** The target stopped (all vCPUs parked). */
  stopped(event: StopEvent): void {
    this.lastStop = event;
    this.gThread = event.vcpu + 1;
    if (!this.running) return;
    this.running = false;
    if (this.stopWanted) {
      this.stopWanted = false;
      this.reply(this.stopReply(event));
    }
    this.drain();
  }

  /** The guest is gone (powered off, crashed, ...): W (exit code) and the end. */
  exited(code: number): void {
    if (this.closed) return;
    this.reply(`W${(code & 0xff).toString(16).padStart(2, "0")}`);
    this.closed = true;
  }

  private reply(text: string): void {
    this.replyBytes(textEncoder.encode(text));
  }

  private replyBytes(payload: Uint8Array): void {
    const frame = framePacket(payload);
    this.lastSent = frame;
    this.transport.send(frame);
  }

  private stopReply(e: StopEvent): string {
    const thread = `thread:${(e.vcpu + 1).toString(16)};`;
    if (e.reason === "interrupt") return `T${hex2(SIGINT)}${thread}`;
    if (e.reason === "watchpoint" && e.address !== undefined) {
      const kind = this.watchKind(e.address, e.isWrite === true);
      return `T${hex2(SIGTRAP)}${kind}:${e.address.toString(16)};${thread}`;
    }
    return `T${hex2(SIGTRAP)}${thread}`;
  }

  /** watch / rwatch / awatch: the type of the watchpoint the address falls in. */
  private watchKind(address: bigint, isWrite: boolean): string {
    for (const w of this.watches) {
      if (address < w.address || address >= w.address + BigInt(w.length)) continue;
      if (w.type === 4) return "awatch";
      if (w.type === 2 && isWrite) return "watch";
      if (w.type === 3 && !isWrite) return "rwatch";
    }
    return isWrite ? "watch" : "rwatch";
  }

  private handle(text: string, raw: Uint8Array): void {
    if (this.running) {
      // All-stop: while the guest runs (or is being stopped for a new client) packets
      // wait for the stop, a bounded few; only Ctrl-C acts at once.
      if (this.queued.length < MAX_QUEUED) this.queued.push({ text, raw });
      return;
    }
    const out = this.command(text, raw);
    if (out !== undefined) this.reply(out);
  }

  private drain(): void {
    while (!this.running && !this.closed) {
      const next = this.queued.shift();
      if (!next) return;
      this.handle(next.text, next.raw);
    }
  }

  /** The reply to one packet, or undefined when it comes later (resume). */
  private command(text: string, raw: Uint8Array): string | undefined {
    const c = text[0] ?? "";
    const rest = text.slice(1);
    switch (c) {
      case "?":
        return this.lastStop ? this.stopReply(this.lastStop) : "S05";
      case "q":
        return this.query(rest);
      case "Q":
        return "";
      case "H":
        return this.setThread(rest);
      case "T":
        return this.threadId(rest) !== undefined ? "OK" : "E01";
      case "g":
        return this.readAllRegisters();
      case "G":
        return this.writeAllRegisters(rest);
      case "p":
        return this.readOneRegister(rest);
      case "P":
        return this.writeOneRegister(rest);
      case "m":
        return this.readMemory(rest);
      case "M":
        return this.writeMemory(rest, false, raw);
      case "X":
        return this.writeMemory(rest, true, raw);
      case "c":
      case "C":
        return this.resume(rest, c === "c" ? undefined : "signal", false);
      case "s":
      case "S":
        return this.resume(rest, c === "s" ? undefined : "signal", true);
      case "v":
        return this.vPacket(rest);
      case "Z":
      case "z":
        return this.breakpoint(c === "Z", rest);
      case "D":
        this.swBreaks.clear();
        this.hwBreaks.clear();
        this.watches = [];
        this.reply("OK");
        this.target.detach();
        this.closed = true;
        this.transport.close();
        return undefined;
      case "k":
        this.closed = true;
        this.target.kill();
        this.transport.close();
        return undefined;
      default:
        return "";
    }
  }

  private query(q: string): string {
    if (q.startsWith("Supported"))
      return `PacketSize=${MAX_PACKET.toString(16)};qXfer:features:read+;vContSupported+`;
    if (q.startsWith("Xfer:features:read:")) return this.readFeatures(q.slice(19));
    if (q === "Attached") return "1";
    if (q === "C") return `QC${(this.lastStop ? this.lastStop.vcpu + 1 : 1).toString(16)}`;
    if (q === "fThreadInfo") {
      const ids = Array.from({ length: this.target.vcpuCount }, (_, i) => (i + 1).toString(16));
      return `m${ids.join(",")}`;
    }
    if (q === "sThreadInfo") return "l";
    if (q.startsWith("ThreadExtraInfo,")) {
      const t = this.threadId(q.slice(16));
      return t === undefined || t < 0 ? "E01" : toHex(textEncoder.encode(`vCPU ${t - 1}`));
    }
    if (q.startsWith("Symbol")) return "OK";
    return "";
  }

  /** qXfer:features:read:target.xml:offset,length -> m<data> (more) or l<data> (last). */
  private readFeatures(args: string): string {
    const m = /^target\.xml:([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})$/.exec(args);
    if (!m) return args.startsWith("target.xml:") ? "E01" : "E00";
    const offset = parseInt(m[1]!, 16);
    const length = Math.min(parseInt(m[2]!, 16), MAX_PACKET - 16);
    if (offset > TARGET_XML.length) return "E01";
    const chunk = TARGET_XML.slice(offset, offset + length);
    return (offset + length >= TARGET_XML.length ? "l" : "m") + chunk;
  }

  /** A thread id (hex; -1 all, 0 any); undefined when malformed or unknown. */
  private threadId(text: string): number | undefined {
    if (text === "-1") return -1;
    if (!/^[0-9a-fA-F]{1,8}$/.test(text)) return undefined;
    const t = parseInt(text, 16);
    if (t === 0) return 0;
    return t <= this.target.vcpuCount ? t : undefined;
  }

  private setThread(rest: string): string {
    const t = this.threadId(rest.slice(1));
    if (t === undefined) return "E01";
    if (rest[0] === "g") this.gThread = t > 0 ? t : (this.lastStop?.vcpu ?? 0) + 1;
    else if (rest[0] === "c") this.cThread = t;
    else return "E01";
    return "OK";
  }

  private get vcpu(): number {
    return this.gThread - 1;
  }

  private readAllRegisters(): string {
    let out = "";
    for (let r = 0; r < REGISTER_BYTES.length; r++) {
      const v = this.target.readRegister(this.vcpu, r);
      if (!v.ok) return "E01";
      out += hexLe(v.value, REGISTER_BYTES[r]!);
    }
    return out;
  }

  private writeAllRegisters(hex: string): string {
    const bytes = fromHex(hex);
    const total = REGISTER_BYTES.reduce((a, b) => a + b, 0);
    if (!bytes || bytes.length !== total) return "E01";
    let at = 0;
    for (let r = 0; r < REGISTER_BYTES.length; r++) {
      const size = REGISTER_BYTES[r]!;
      const w = this.target.writeRegister(this.vcpu, r, leValue(bytes.subarray(at, at + size)));
      if (!w.ok) return "E01";
      at += size;
    }
    return "OK";
  }

  private register(text: string): number | undefined {
    if (!/^[0-9a-fA-F]{1,4}$/.test(text)) return undefined;
    const r = parseInt(text, 16);
    return r < REGISTER_BYTES.length ? r : undefined;
  }

  private readOneRegister(text: string): string {
    const r = this.register(text);
    if (r === undefined) return "E01";
    const v = this.target.readRegister(this.vcpu, r);
    return v.ok ? hexLe(v.value, REGISTER_BYTES[r]!) : "E01";
  }

  private writeOneRegister(text: string): string {
    const [reg = "", value = ""] = text.split("=", 2);
    const r = this.register(reg);
    const bytes = fromHex(value);
    if (r === undefined || !bytes || bytes.length !== REGISTER_BYTES[r]) return "E01";
    return this.target.writeRegister(this.vcpu, r, leValue(bytes)).ok ? "OK" : "E01";
  }

  /** `addr,length` with hex numbers; undefined if malformed or too long. */
  private range(text: string): { address: bigint; length: number } | undefined {
    const [a = "", l = ""] = text.split(",", 2);
    const address = parseHex64(a);
    if (address === undefined || !/^[0-9a-fA-F]{1,8}$/.test(l)) return undefined;
    const length = parseInt(l, 16);
    return length <= MAX_MEMORY ? { address, length } : undefined;
  }

  private readMemory(text: string): string {
    const r = this.range(text);
    if (!r) return "E01";
    const m = this.target.readMemory(this.vcpu, r.address, r.length);
    return m.ok ? toHex(m.value) : "E0e";
  }

  private writeMemory(text: string, binary: boolean, raw: Uint8Array): string {
    const colon = text.indexOf(":");
    if (colon < 0) return "E01";
    const r = this.range(text.slice(0, colon));
    if (!r) return "E01";
    const data = binary
      ? unescapeBinary(raw.subarray(1 + colon + 1))
      : fromHex(text.slice(colon + 1));
    if (!data || data.length !== r.length) return "E01";
    if (r.length === 0) return "OK";
    return this.target.writeMemory(this.vcpu, r.address, data).ok ? "OK" : "E0e";
  }

  /** c/s [addr] (C/S sig[;addr]): resume; the reply is the next stop. */
  private resume(args: string, signal: "signal" | undefined, step: boolean): string | undefined {
    const addrText = signal ? args.split(";", 2)[1] : args;
    if (signal && !/^[0-9a-fA-F]{1,2}(;.*)?$/.test(args)) return "E01";
    if (addrText !== undefined && addrText !== "") {
      const pc = parseHex64(addrText);
      if (pc === undefined) return "E01";
      const vcpu = (this.cThread > 0 ? this.cThread : this.gThread) - 1;
      if (!this.target.writeRegister(vcpu, 32, pc).ok) return "E01";
    }
    const stepVcpu = step ? (this.cThread > 0 ? this.cThread : this.gThread) - 1 : undefined;
    return this.go(stepVcpu);
  }

  private go(stepVcpu: number | undefined): undefined {
    this.running = true;
    this.stopWanted = true;
    this.target.resume(
      {
        breakpoints: [...new Set([...this.swBreaks, ...this.hwBreaks])],
        watchpoints: [...this.watches],
      },
      stepVcpu,
    );
    return undefined;
  }

  private vPacket(v: string): string | undefined {
    if (v === "Cont?") return "vCont;c;C;s;S";
    if (v.startsWith("Cont;")) return this.vCont(v.slice(5));
    if (v.startsWith("Kill")) {
      this.reply("OK");
      this.closed = true;
      this.target.kill();
      this.transport.close();
      return undefined;
    }
    return "";
  }

  /** vCont;action[:thread]... in all-stop: the first step action wins, else continue. */
  private vCont(actions: string): string | undefined {
    let step: number | undefined;
    for (const a of actions.split(";")) {
      const m = /^([cCsS])([0-9a-fA-F]{1,2})?(?::(-1|[0-9a-fA-F]{1,8}))?$/.exec(a);
      if (!m) return "E01";
      const verb = m[1]!.toLowerCase();
      const t = m[3] === undefined ? -1 : this.threadId(m[3]);
      if (t === undefined) return "E01";
      if (verb === "s" && step === undefined) step = t > 0 ? t - 1 : this.gThread - 1;
    }
    return this.go(step);
  }

  /** Z/z type,addr,kind: software (0) and hardware (1) breakpoints, watchpoints (2-4). */
  private breakpoint(insert: boolean, text: string): string {
    const m = /^([0-4]),([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,8})(;.*)?$/.exec(text);
    if (!m) return "E01";
    const type = Number(m[1]);
    const address = BigInt(`0x${m[2]}`);
    const kind = parseInt(m[3]!, 16);
    if (type <= 1) {
      if ((address & 3n) !== 0n || kind !== 4) return "E01";
      const set = type === 0 ? this.swBreaks : this.hwBreaks;
      if (!insert) return set.delete(address) ? "OK" : "E01";
      if (!set.has(address) && this.swBreaks.size + this.hwBreaks.size >= MAX_BREAKPOINTS)
        return "E0c";
      set.add(address);
      return "OK";
    }
    if (kind < 1 || kind > 2 ** 31) return "E01";
    const w: WatchRequest = { address, length: kind, type: type as 2 | 3 | 4 };
    const at = this.watches.findIndex(
      (x) => x.address === address && x.length === kind && x.type === type,
    );
    if (!insert) {
      if (at < 0) return "E01";
      this.watches.splice(at, 1);
      return "OK";
    }
    if (at >= 0) return "OK";
    if (this.watches.length >= MAX_WATCHPOINTS) return "E0c";
    this.watches.push(w);
    return "OK";
  }

  /** The connection is gone without D or k: the guest goes on undebugged. */
  disconnected(): void {
    if (this.closed) return;
    this.closed = true;
    this.target.detach();
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
