// virtio-blk (virtio 1.2 section 5.2): one request queue; each request is a 16-byte
// header (type, reserved, sector), data, and a status byte the device writes last
// (5.2.6). Requests are parsed by position in the chain, not by descriptor framing
// (VIRTIO_F_VERSION_1 implies ANY_LAYOUT).

import { layout, u32, u64 } from "../../lib/layout.js";
import type { GuestRam } from "../guest-ram.js";
import {
  readSegments,
  writeSegments,
  type BackendHost,
  type QueueService,
  type VirtioBackend,
} from "./backend.js";
import type { BlockStore } from "./block-store.js";
import type { Chain } from "./chain.js";
import { DeviceId } from "./constants.js";

export const SECTOR = 512;
/** struct virtio_blk_req's header (5.2.6). */
const RequestHeader = layout({ type: u32, reserved: u32, sector: u64 });
export const BlkType = { IN: 0, OUT: 1, FLUSH: 4, GET_ID: 8 } as const;
export const BlkStatus = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;
export const BlkFeature = { SEG_MAX: 1n << 2n, RO: 1n << 5n, FLUSH: 1n << 9n } as const;
/**
 * Data segments per request we advertise (seg_max): with header and status a request
 * stays within half of a 256-entry queue, direct or as one indirect table (the chain
 * walk bounds both by the queue size).
 */
export const BLK_SEG_MAX = 126;
/** GET_ID answers with a 20-byte serial (5.2.6: VIRTIO_BLK_ID_BYTES). */
export const BLK_ID_BYTES = 20;
/** Disk data moves in pieces of this size: a 4 GiB request never becomes one buffer. */
const IO_CHUNK = 64 * 1024;

export interface BlockOptions {
  /** The serial GET_ID returns (at most 20 bytes are used). */
  readonly serial?: string;
}

export class VirtioBlock implements VirtioBackend {
  readonly name = "blk";
  readonly deviceId = DeviceId.BLOCK;
  readonly queueMax = [256];
  readonly features: bigint;
  readonly config;
  private ram: GuestRam | undefined;
  private readonly serial: Uint8Array;

  constructor(
    private readonly store: BlockStore,
    options: BlockOptions = {},
  ) {
    this.features = BlkFeature.SEG_MAX | BlkFeature.FLUSH | (store.readOnly ? BlkFeature.RO : 0n);
    const capacity = BigInt(Math.floor(store.size / SECTOR));
    // struct virtio_blk_config (5.2.4) up to blk_size: capacity and seg_max are live;
    // SIZE_MAX/GEOMETRY/BLK_SIZE are not offered (their fields read as zero / 512).
    const zero = () => 0n;
    this.config = [
      { offset: 0, width: 8, value: () => capacity },
      { offset: 8, width: 4, value: zero },
      { offset: 12, width: 4, value: () => BigInt(BLK_SEG_MAX) },
      { offset: 16, width: 2, value: zero },
      { offset: 18, width: 1, value: zero },
      { offset: 19, width: 1, value: zero },
      { offset: 20, width: 4, value: () => BigInt(SECTOR) },
    ] as const;
    this.serial = new TextEncoder().encode(options.serial ?? "gunyah-ts").slice(0, BLK_ID_BYTES);
  }

  get capacitySectors(): number {
    return Math.floor(this.store.size / SECTOR);
  }

  attach(host: BackendHost): void {
    this.ram = host.ram;
  }

  reset(): void {}

  service(_index: number, queue: QueueService): void {
    for (let c = queue.next(); c !== undefined; c = queue.next()) queue.complete(c, this.handle(c));
  }

  /** Handles one request; returns the bytes written into the chain (data + status). */
  private handle(chain: Chain): number {
    const ram = this.ram;
    if (ram === undefined || chain.writableBytes < 1) return 0;
    const statusAt = chain.writableBytes - 1;
    const finish = (status: number, data: number): number => {
      const w = writeSegments(ram, chain.writable, statusAt, new Uint8Array([status]));
      return w.ok ? data + 1 : 0;
    };
    const raw = readSegments(ram, chain.readable, 0, RequestHeader.size);
    const header = raw.ok ? RequestHeader.decode(raw.value) : undefined;
    if (header === undefined) return finish(BlkStatus.IOERR, 0);
    switch (header.type) {
      case BlkType.IN:
        return this.transfer(chain, header.sector, statusAt, "in", finish);
      case BlkType.OUT:
        return this.transfer(
          chain,
          header.sector,
          chain.readableBytes - RequestHeader.size,
          "out",
          finish,
        );
      case BlkType.FLUSH:
        return finish(this.store.flush().ok ? BlkStatus.OK : BlkStatus.IOERR, 0);
      case BlkType.GET_ID: {
        const id = new Uint8Array(BLK_ID_BYTES);
        id.set(this.serial);
        const n = Math.min(BLK_ID_BYTES, statusAt);
        const w = writeSegments(ram, chain.writable, 0, id.subarray(0, n));
        return w.ok ? finish(BlkStatus.OK, n) : finish(BlkStatus.IOERR, 0);
      }
      default:
        return finish(BlkStatus.UNSUPP, 0);
    }
  }

  /** IN or OUT of `length` bytes at `sector`: whole sectors inside the disk (5.2.6.1). */
  private transfer(
    chain: Chain,
    sector: bigint,
    length: number,
    direction: "in" | "out",
    finish: (status: number, data: number) => number,
  ): number {
    const ram = this.ram;
    if (ram === undefined) return 0;
    if (direction === "out" && this.store.readOnly) return finish(BlkStatus.IOERR, 0);
    const end = sector * BigInt(SECTOR) + BigInt(length);
    if (length % SECTOR !== 0 || end > BigInt(this.capacitySectors * SECTOR))
      return finish(BlkStatus.IOERR, 0);
    const base = Number(sector) * SECTOR;
    for (let done = 0; done < length; done += IO_CHUNK) {
      const n = Math.min(IO_CHUNK, length - done);
      if (direction === "in") {
        const data = this.store.read(base + done, n);
        if (!data.ok || !writeSegments(ram, chain.writable, done, data.value).ok)
          return finish(BlkStatus.IOERR, done);
      } else {
        const data = readSegments(ram, chain.readable, RequestHeader.size + done, n);
        if (!data.ok || data.value.length !== n || !this.store.write(base + done, data.value).ok)
          return finish(BlkStatus.IOERR, 0);
      }
    }
    return finish(BlkStatus.OK, direction === "in" ? length : 0);
  }
}
