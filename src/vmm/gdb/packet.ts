// The GDB remote serial protocol's framing (GDB manual, "Overview" of the Remote
// Protocol): `$<payload>#<two hex digits of the modulo-256 sum>`, acknowledged with `+`
// or `-`; in binary data `}` escapes the next byte XOR 0x20 (`#`, `$`, `}` and `*` are
// escaped); a lone 0x03 outside a packet is an interrupt request. Everything received
// is untrusted: a packet above the size limit, a bad checksum or stray bytes never
// throw; they become a NAK or an `oversized` event and the parser resynchronises at
// the next `$`. No Node built-ins: the transport is the caller's.

/** Our PacketSize (qSupported): the largest payload we accept, and GDB may send. */
export const MAX_PACKET = 0x4000;

export type FrameEvent =
  | { readonly kind: "packet"; readonly payload: Uint8Array }
  | { readonly kind: "interrupt" }
  | { readonly kind: "ack" }
  | { readonly kind: "nak" }
  /** A checksum mismatch: answered with `-` so that GDB retransmits. */
  | { readonly kind: "bad-checksum" }
  /** A packet above MAX_PACKET: dropped whole; the stub answers an error. */
  | { readonly kind: "oversized" };

const DOLLAR = 0x24;
const HASH = 0x23;

export class PacketParser {
  private state: "idle" | "body" | "check1" | "check2" = "idle";
  private body: number[] = [];
  private sum = 0;
  private check = 0;
  private overflow = false;

  /** Feeds received bytes; returns the complete events in order. */
  feed(bytes: Uint8Array): FrameEvent[] {
    const out: FrameEvent[] = [];
    for (const b of bytes) {
      switch (this.state) {
        case "idle":
          if (b === DOLLAR) this.start();
          else if (b === 0x03) out.push({ kind: "interrupt" });
          else if (b === 0x2b) out.push({ kind: "ack" });
          else if (b === 0x2d) out.push({ kind: "nak" });
          // Anything else between packets is noise and ignored.
          break;
        case "body":
          if (b === HASH) this.state = "check1";
          else if (b === DOLLAR)
            this.start(); // a new packet: the partial one is lost
          else {
            this.sum = (this.sum + b) & 0xff;
            if (this.body.length < MAX_PACKET) this.body.push(b);
            else this.overflow = true;
          }
          break;
        case "check1": {
          const v = hexValue(b);
          if (v < 0) {
            this.state = "idle";
            out.push({ kind: "bad-checksum" });
          } else {
            this.check = v << 4;
            this.state = "check2";
          }
          break;
        }
        case "check2": {
          const v = hexValue(b);
          this.state = "idle";
          if (v < 0 || (this.check | v) !== this.sum) out.push({ kind: "bad-checksum" });
          else if (this.overflow) out.push({ kind: "oversized" });
          else out.push({ kind: "packet", payload: Uint8Array.from(this.body) });
          this.body = [];
          break;
        }
      }
    }
    return out;
  }

  private start(): void {
    this.state = "body";
    this.body = [];
    this.sum = 0;
    this.overflow = false;
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

/** `$payload#cs` for a payload; bytes that would break the framing are escaped. */
export function framePacket(payload: Uint8Array): Uint8Array {
  const out: number[] = [DOLLAR];
  let sum = 0;
  for (const b of payload) {
    if (b === DOLLAR || b === HASH || b === 0x7d || b === 0x2a) {
      out.push(0x7d, b ^ 0x20);
      sum += 0x7d + (b ^ 0x20);
    } else {
      out.push(b);
      sum += b;
    }
  }
  const cs = (sum & 0xff).toString(16).padStart(2, "0");
  out.push(HASH, cs.charCodeAt(0), cs.charCodeAt(1));
  return Uint8Array.from(out);
}

/** Undoes `}` escapes of binary data (X packets); undefined if it ends mid-escape. */
export function unescapeBinary(data: Uint8Array): Uint8Array | undefined {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x7d) {
      const next = data[++i];
      if (next === undefined) return undefined;
      out.push(next ^ 0x20);
    } else out.push(b);
  }
  return Uint8Array.from(out);
}

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Hex text to bytes; undefined for odd lengths or non-hex characters. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A hex number of at most 16 digits (a 64-bit value), or undefined. */
export function parseHex64(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) return undefined;
  return BigInt(`0x${text}`);
}

/** A value as `bytes` little-endian bytes in hex (GDB's register encoding). */
export function hexLe(value: bigint, bytes: number): string {
  const b = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) b[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return toHex(b);
}

/** Little-endian bytes to a value. */
export function leValue(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}
