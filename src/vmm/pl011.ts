// The Arm PrimeCell UART (PL011), as Linux's amba-pl011 driver and its earlycon use it
// (Arm DDI 0183, PL011 Technical Reference Manual r1p5, chapter 3 "Programmers Model").
//
// Transmission is instantaneous: a byte written to UARTDR goes straight to the output
// sink, so the TX FIFO is always empty (TXFE=1, TXFF=0) and the TX interrupt is raised
// after every write, as the FIFO has just drained below any trigger level (QEMU's
// model behaves the same; Linux's pl011_tx_chars relies on it to keep sending). The
// receiver has a 16-byte FIFO (1 byte with FEN clear) fed from a bounded pending queue,
// so pasted input is not lost while the guest is slow to read. Enable bits (UARTEN,
// TXE, RXE) are stored but not enforced, like QEMU: firmware and early consoles write
// before they enable. Loopback, modem lines, IrDA and DMA are not modelled.

import { ok, type Result } from "../lib/result.js";
import { RateLimitedLog } from "../lib/log.js";
import { ByteQueue } from "./byte-queue.js";
import type { AccessWidth, DeviceFault, InterruptLine, MmioDevice } from "./device.js";

export const PL011_SIZE = 0x1000;

/** Register offsets (TRM table 3-1). */
export const Pl011Reg = {
  DR: 0x000,
  RSR_ECR: 0x004,
  FR: 0x018,
  ILPR: 0x020,
  IBRD: 0x024,
  FBRD: 0x028,
  LCR_H: 0x02c,
  CR: 0x030,
  IFLS: 0x034,
  IMSC: 0x038,
  RIS: 0x03c,
  MIS: 0x040,
  ICR: 0x044,
  DMACR: 0x048,
} as const;

/** Register names as the TRM writes them (UARTDR, UARTFR, ...), by offset. */
const PL011_NAMES = new Map<number, string>([
  ...Object.entries(Pl011Reg).map(([k, v]): [number, string] => [
    v,
    k === "RSR_ECR" ? "UARTRSR" : `UART${k}`,
  ]),
  ...["UARTPeriphID0", "UARTPeriphID1", "UARTPeriphID2", "UARTPeriphID3"].map(
    (n, i): [number, string] => [0xfe0 + 4 * i, n],
  ),
  ...["UARTPCellID0", "UARTPCellID1", "UARTPCellID2", "UARTPCellID3"].map(
    (n, i): [number, string] => [0xff0 + 4 * i, n],
  ),
]);

/** UARTFR bits (TRM 3.3.3). */
export const Flag = {
  BUSY: 1 << 3,
  RXFE: 1 << 4,
  TXFF: 1 << 5,
  RXFF: 1 << 6,
  TXFE: 1 << 7,
} as const;

/** Interrupt bits shared by IMSC, RIS, MIS and ICR (TRM 3.3.10-3.3.14). */
export const Int = { RX: 1 << 4, TX: 1 << 5, RT: 1 << 6, OE: 1 << 10 } as const;
const INT_MASK = 0x7ff;

/** UARTDR read: bit 11 is the overrun error of the character (TRM 3.3.1). */
const DR_OE = 1 << 11;
const RSR_OE = 1 << 3;
const LCR_H_FEN = 1 << 4;
const FIFO_DEPTH = 16;
/** Input waiting to enter the RX FIFO; beyond this, input is dropped and counted. */
export const PENDING_INPUT_LIMIT = 64 * 1024;

/** PeriphID0-3 then PCellID0-3 at 0xFE0..0xFFC: part 0x011, designer 0x41 (Arm), rev 1. */
const ID_REGISTERS = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1] as const;
const ID_BASE = 0xfe0;

/** Reset values (TRM table 3-1): CR has TXE and RXE set, IFLS selects 1/2 full. */
const CR_RESET = 0x300;
const IFLS_RESET = 0x12;

export type OutputSink = (bytes: Uint8Array) => void;

export class Pl011 implements MmioDevice {
  readonly name = "pl011";

  registerName(offset: number): string | undefined {
    return PL011_NAMES.get(offset);
  }
  readonly size = PL011_SIZE;
  readonly widths: readonly AccessWidth[] = [1, 2, 4];

  private readonly rxFifo: number[] = [];
  private readonly pending = new ByteQueue(PENDING_INPUT_LIMIT);
  private droppedInput = 0;
  private overrunToReport = false;
  private rsr = 0;
  private ilpr = 0;
  private ibrd = 0;
  private fbrd = 0;
  private lcrH = 0;
  private cr = CR_RESET;
  private ifls = IFLS_RESET;
  private imsc = 0;
  private ris = 0;
  private dmacr = 0;
  private lineLevel = false;
  private readonly warn = new RateLimitedLog("pl011");

  constructor(
    private readonly output: OutputSink,
    private readonly irq?: InterruptLine,
  ) {}

  /** Input bytes dropped because PENDING_INPUT_LIMIT bytes were already waiting. */
  get inputDropped(): number {
    return this.droppedInput;
  }

  /** Feeds input (a terminal, a pipe, a test) towards the receive FIFO. */
  receive(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (!this.pending.push(b)) {
        this.droppedInput++;
        this.overrunToReport = true;
      }
    }
    this.refillRx();
  }

  read(offset: number, width: AccessWidth): Result<bigint, DeviceFault> {
    const reg = offset & ~3;
    const shift = (offset & 3) * 8;
    // Only an access at the start of a register has side effects (a DR read pops).
    const value = shift === 0 ? this.readRegister(reg) : this.peekRegister(reg);
    const mask = width === 4 ? 0xffff_ffff : (1 << (width * 8)) - 1;
    return ok(BigInt((value >>> shift) & mask) & 0xffff_ffffn);
  }

  write(offset: number, _width: AccessWidth, value: bigint): Result<void, DeviceFault> {
    if ((offset & 3) !== 0) {
      this.warn.warn(
        `write to the middle of a register at offset 0x${offset.toString(16)} ignored`,
      );
      return ok();
    }
    this.writeRegister(offset, Number(value & 0xffff_ffffn));
    return ok();
  }

  private readRegister(reg: number): number {
    if (reg === Pl011Reg.DR) return this.popRx();
    return this.peekRegister(reg);
  }

  /** Register values without side effects. */
  private peekRegister(reg: number): number {
    switch (reg) {
      case Pl011Reg.DR:
        return this.rxFifo[0] ?? 0;
      case Pl011Reg.RSR_ECR:
        return this.rsr;
      case Pl011Reg.FR:
        return this.flags();
      case Pl011Reg.ILPR:
        return this.ilpr;
      case Pl011Reg.IBRD:
        return this.ibrd;
      case Pl011Reg.FBRD:
        return this.fbrd;
      case Pl011Reg.LCR_H:
        return this.lcrH;
      case Pl011Reg.CR:
        return this.cr;
      case Pl011Reg.IFLS:
        return this.ifls;
      case Pl011Reg.IMSC:
        return this.imsc;
      case Pl011Reg.RIS:
        return this.ris;
      case Pl011Reg.MIS:
        return this.ris & this.imsc;
      case Pl011Reg.DMACR:
        return this.dmacr;
      default:
        if (reg >= ID_BASE) return ID_REGISTERS[(reg - ID_BASE) >> 2] ?? 0;
        // Reserved and write-only (ICR) offsets read as zero, as on QEMU's model.
        if (reg !== Pl011Reg.ICR) this.warn.warn(`read of reserved offset 0x${reg.toString(16)}`);
        return 0;
    }
  }

  private writeRegister(reg: number, value: number): void {
    switch (reg) {
      case Pl011Reg.DR:
        this.output(Uint8Array.of(value & 0xff));
        this.ris |= Int.TX; // the FIFO drained at once: TXRIS (TRM 3.4.3)
        break;
      case Pl011Reg.RSR_ECR:
        this.rsr = 0; // any write clears the error flags
        break;
      case Pl011Reg.ILPR:
        this.ilpr = value & 0xff;
        break;
      case Pl011Reg.IBRD:
        this.ibrd = value & 0xffff;
        break;
      case Pl011Reg.FBRD:
        this.fbrd = value & 0x3f;
        break;
      case Pl011Reg.LCR_H:
        this.writeLcrH(value & 0xff);
        break;
      case Pl011Reg.CR:
        this.cr = value & 0xff87;
        break;
      case Pl011Reg.IFLS:
        this.ifls = value & 0x3f;
        this.updateRxInterrupts();
        break;
      case Pl011Reg.IMSC:
        this.imsc = value & INT_MASK;
        break;
      case Pl011Reg.ICR:
        this.ris &= ~(value & INT_MASK);
        break;
      case Pl011Reg.DMACR:
        this.dmacr = value & 0x7;
        break;
      default:
        // FR, RIS, MIS and the ID registers are read-only; the rest is reserved.
        this.warn.warn(`write to read-only or reserved offset 0x${reg.toString(16)} ignored`);
        return;
    }
    this.updateLine();
  }

  private writeLcrH(value: number): void {
    const fifoWasOn = (this.lcrH & LCR_H_FEN) !== 0;
    this.lcrH = value;
    // Changing FEN flushes the FIFOs on hardware; input stays pending, so none is lost.
    if (fifoWasOn !== ((value & LCR_H_FEN) !== 0)) {
      this.pending.unshiftAll(this.rxFifo.map((c) => c & 0xff));
      this.rxFifo.length = 0;
      this.refillRx();
    }
  }

  private flags(): number {
    let fr = Flag.TXFE;
    if (this.rxFifo.length === 0) fr |= Flag.RXFE;
    if (this.rxFifo.length >= this.rxDepth()) fr |= Flag.RXFF;
    return fr;
  }

  private rxDepth(): number {
    return (this.lcrH & LCR_H_FEN) !== 0 ? FIFO_DEPTH : 1;
  }

  /** RX trigger level from IFLS.RXIFLSEL (TRM 3.3.9): 1/8, 1/4, 1/2, 3/4, 7/8 full. */
  private rxTrigger(): number {
    if ((this.lcrH & LCR_H_FEN) === 0) return 1;
    const sel = (this.ifls >> 3) & 7;
    return [2, 4, 8, 12, 14][sel] ?? 8;
  }

  private popRx(): number {
    const value = this.rxFifo.shift();
    if (value === undefined) return 0;
    this.refillRx();
    this.updateLine();
    return value;
  }

  private refillRx(): void {
    while (this.rxFifo.length < this.rxDepth() && this.pending.length > 0) {
      this.rxFifo.push(this.pending.shift() ?? 0);
    }
    // A real UART overruns when its FIFO is full; we hold input pending instead and
    // report an overrun (OE) only when the pending queue itself had to drop bytes.
    if (this.overrunToReport && this.rxFifo.length > 0) {
      this.rsr |= RSR_OE;
      this.rxFifo[this.rxFifo.length - 1] = (this.rxFifo.at(-1) ?? 0) | DR_OE;
      this.ris |= Int.OE;
      this.overrunToReport = false;
    }
    this.updateRxInterrupts();
    this.updateLine();
  }

  /** RXRIS follows the trigger level; RTRIS (receive timeout) any data left unread. */
  private updateRxInterrupts(): void {
    if (this.rxFifo.length >= this.rxTrigger()) this.ris |= Int.RX;
    else this.ris &= ~Int.RX;
    if (this.rxFifo.length > 0) this.ris |= Int.RT;
    else this.ris &= ~Int.RT;
  }

  /** UARTINTR is the OR of the masked interrupts; forward changes of level only. */
  private updateLine(): void {
    const level = (this.ris & this.imsc) !== 0;
    if (level !== this.lineLevel) {
      this.lineLevel = level;
      this.irq?.set(level);
    }
  }
}
