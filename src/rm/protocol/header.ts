// The RM RPC packet header (gunyah-abi.md section 3): 8 bytes, little-endian.
//   byte 0: api version (bits 3:0) = 1 | header words (bits 7:4) = 2, i.e. 0x21
//   byte 1: message type (bits 1:0) | fragment count (bits 7:2)
//   bytes 2-3: sequence number; bytes 4-7: message id

import { layout, u16, u32, u8 } from "../../lib/layout.js";
import { err, ok, type Result } from "../../lib/result.js";

export const RPC_API_VERSION = 1;
export const RPC_HEADER_WORDS = 2;
export const RPC_HEADER_BYTE0 = (RPC_HEADER_WORDS << 4) | RPC_API_VERSION; // 0x21
export const RPC_HEADER_SIZE = 8;
/** A packet (one message-queue message or one datagram) is at most 240 bytes. */
export const RPC_MAX_PACKET_SIZE = 240;
export const RPC_MAX_PAYLOAD_PER_PACKET = RPC_MAX_PACKET_SIZE - RPC_HEADER_SIZE; // 232
/** Continuation packets after the first; the fragment field has 6 bits but 63 is refused. */
export const RPC_MAX_FRAGMENTS = 62;
/** The largest message payload: 63 packets of 232 bytes. */
export const RPC_MAX_MESSAGE_SIZE = RPC_MAX_PAYLOAD_PER_PACKET * (RPC_MAX_FRAGMENTS + 1); // 14,616

export const MsgType = {
  CONTINUATION: 0,
  REQUEST: 1,
  REPLY: 2,
  NOTIFICATION: 3,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

export interface RpcHeader {
  readonly type: MsgType;
  /** For the first packet: how many continuations follow. Continuations repeat it. */
  readonly fragments: number;
  readonly seq: number;
  readonly msgId: number;
}

const HeaderLayout = layout({ apiHeader: u8, typeFragments: u8, seq: u16, msgId: u32 });

export function encodeHeader(h: RpcHeader, into?: Uint8Array): Uint8Array {
  const out = into ?? new Uint8Array(RPC_HEADER_SIZE);
  HeaderLayout.encodeInto(
    {
      apiHeader: RPC_HEADER_BYTE0,
      typeFragments: (h.type & 3) | ((h.fragments & 0x3f) << 2),
      seq: h.seq & 0xffff,
      msgId: h.msgId >>> 0,
    },
    new DataView(out.buffer, out.byteOffset, out.byteLength),
    0,
  );
  return out;
}

export type HeaderError = "short" | "version" | "header-words" | "fragments";

/** Decodes and validates a packet's header (the receiver rules of section 3). */
export function decodeHeader(packet: Uint8Array): Result<RpcHeader, HeaderError> {
  const raw = HeaderLayout.decode(packet);
  if (!raw) return err("short");
  if ((raw.apiHeader & 0xf) !== RPC_API_VERSION) return err("version");
  if (raw.apiHeader >> 4 !== RPC_HEADER_WORDS) return err("header-words");
  const fragments = raw.typeFragments >> 2;
  if (fragments > RPC_MAX_FRAGMENTS) return err("fragments");
  return ok({
    type: (raw.typeFragments & 3) as MsgType,
    fragments,
    seq: raw.seq,
    msgId: raw.msgId,
  });
}
