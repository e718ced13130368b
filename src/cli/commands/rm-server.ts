// `gunyah rm-server --udp 127.0.0.1:PORT`: boots the platform (hypervisor, RM, host VM)
// and bridges UDP datagrams to the host's RPC message queues, so an external client
// plays the host VM. One datagram is one RPC packet (at most 240 bytes), as in the
// public RM's datagram transport. The bridge is the host's driver: it sends each
// datagram with msgqueue_send (push set) and forwards every packet it receives from
// the RM (msgqueue_receive on its receive VIRQ) to the client that last wrote to it.
// A malformed datagram is counted and dropped by the RM's receiver rules; it never
// stops the server. Only loopback addresses are accepted.

import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIPv4, isIPv6 } from "node:net";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { Call, HypError, hypercallId, hypErrorFromX0, RES0 } from "../../hyp/abi/index.js";
import { bootPlatform, type HostBootInfo } from "../../platform/index.js";
import { RPC_MAX_PACKET_SIZE } from "../../rm/protocol/index.js";

interface RmServerOptions {
  readonly udp: { host: string; port: number };
  readonly maxDatagrams?: number;
  readonly ramSize?: number;
}

function isLoopback(host: string): boolean {
  if (isIPv4(host)) return host.split(".")[0] === "127";
  if (isIPv6(host)) return host === "::1";
  return false;
}

/** Parses HOST:PORT (IPv6 as [::1]:PORT), loopback only. */
export function parseUdpAddress(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  if (!m) throw new InvalidArgumentError("expected HOST:PORT");
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidArgumentError("port out of range");
  if (!isLoopback(host)) throw new InvalidArgumentError("rm-server binds loopback addresses only");
  return { host, port };
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError("expected a positive integer");
  return n;
}

export interface BridgeStats {
  datagramsIn: number;
  datagramsOut: number;
  refused: number;
}

/** The host side of the bridge: datagrams in -> msgqueue_send; msgqueue_receive -> datagrams out. */
export class RmUdpBridge {
  readonly stats: BridgeStats = { datagramsIn: 0, datagramsOut: 0, refused: 0 };
  private peer: RemoteInfo | undefined;
  private readonly txBuffer: number;
  private readonly rxBuffer: number;
  private readonly backlog: Uint8Array[] = [];

  constructor(
    private readonly host: HostBootInfo,
    private readonly socket: Socket,
  ) {
    // Two pages at the top of the host's RAM are the bridge's packet buffers.
    this.txBuffer = host.ram.base + host.ram.size - 0x2000;
    this.rxBuffer = host.ram.base + host.ram.size - 0x1000;
    host.vm.virqs.onVirq(host.rmRxVirq, () => this.drain());
    host.vm.virqs.onVirq(host.rmTxVirq, () => this.flushBacklog());
  }

  private hvc(call: number, args: bigint[]): [number, bigint, bigint] {
    const [x0, x1, x2] = this.host.vm.hvc.hvc(hypercallId(call), args);
    return [hypErrorFromX0(x0), x1, x2];
  }

  /** One datagram from the client: forward it to the RM as one packet. */
  fromClient(data: Uint8Array, from: RemoteInfo): void {
    this.stats.datagramsIn++;
    this.peer = from;
    if (data.length === 0 || data.length > RPC_MAX_PACKET_SIZE) {
      this.stats.refused++; // not a packet at all: the queue would refuse it anyway
      return;
    }
    if (this.backlog.length > 0) {
      this.backlog.push(data.slice());
      return;
    }
    if (!this.send(data)) this.backlog.push(data.slice());
  }

  /** False if the queue is full (the rest waits for the not-full VIRQ). */
  private send(data: Uint8Array): boolean {
    if (!this.host.vm.memory.write(this.txBuffer, data).ok) return true;
    const [e] = this.hvc(Call.MSGQUEUE_SEND, [
      this.host.rmTxCap,
      BigInt(data.length),
      BigInt(this.txBuffer),
      1n,
      RES0,
    ]);
    if (e === HypError.MSGQUEUE_FULL) return false;
    if (e !== HypError.OK) this.stats.refused++;
    return true;
  }

  private flushBacklog(): void {
    while (this.backlog.length > 0 && this.send(this.backlog[0]!)) this.backlog.shift();
  }

  /** Packets from the RM: each becomes one datagram to the current client. */
  private drain(): void {
    for (;;) {
      const [e, size, notEmpty] = this.hvc(Call.MSGQUEUE_RECEIVE, [
        this.host.rmRxCap,
        BigInt(this.rxBuffer),
        BigInt(RPC_MAX_PACKET_SIZE),
        RES0,
      ]);
      if (e !== HypError.OK) return;
      const packet = this.host.vm.memory.read(this.rxBuffer, Number(size));
      if (packet.ok && this.peer) {
        this.stats.datagramsOut++;
        this.socket.send(packet.value, this.peer.port, this.peer.address);
      }
      if (notEmpty === 0n) return;
    }
  }

  get pendingIn(): number {
    return this.backlog.length;
  }
}

async function serve(options: RmServerOptions): Promise<number> {
  const platform = bootPlatform(options.ramSize ? { ramSize: options.ramSize } : {});
  const socket = createSocket(isIPv6(options.udp.host) ? "udp6" : "udp4");
  const bridge = new RmUdpBridge(platform.host, socket);
  return new Promise<number>((resolve) => {
    let closing = false;
    const close = (code: number) => {
      if (closing) return;
      closing = true;
      // Give the RM and the bridge a few event-loop turns to answer the last datagrams.
      setTimeout(() => {
        socket.close();
        process.off("SIGINT", onSignal);
        process.stderr.write(
          `rm-server: ${bridge.stats.datagramsIn} datagrams in, ${bridge.stats.datagramsOut} out, ${bridge.stats.refused} refused\n`,
        );
        resolve(code);
      }, 100);
    };
    const onSignal = () => close(0);
    process.on("SIGINT", onSignal);
    socket.on("error", (e) => {
      process.stderr.write(`rm-server: ${e.message}\n`);
      close(1);
    });
    socket.on("message", (msg, from) => {
      if (closing) return;
      bridge.fromClient(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), from);
      if (options.maxDatagrams !== undefined && bridge.stats.datagramsIn >= options.maxDatagrams)
        close(0);
    });
    socket.bind(options.udp.port, options.udp.host, () => {
      const a = socket.address();
      process.stdout.write(`rm-server listening on ${a.address}:${a.port}\n`);
    });
  });
}

export function registerRmServerCommand(program: Command, done: (exitCode: number) => void): void {
  program
    .command("rm-server")
    .description(
      "boot the hypervisor and Resource Manager and serve RM RPC over UDP (one datagram = one packet); the client acts as the host VM",
    )
    .requiredOption(
      "--udp <host:port>",
      "loopback address to bind, e.g. 127.0.0.1:4000 (port 0 picks one)",
      parseUdpAddress,
    )
    .option("--max-datagrams <n>", "exit after this many datagrams (for tests)", positiveInteger)
    .option("--ram-size <bytes>", "physical RAM of the platform (default 1 GiB)", positiveInteger)
    .action(async (opts: RmServerOptions) => {
      done(await serve(opts));
    });
}
