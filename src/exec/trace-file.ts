// Writes the per-instruction trace of `gunyah exec --trace` to a file, buffered (a
// record is about 900 bytes and there is one per instruction).

import * as fs from "node:fs";
import type { Arm64Cpu } from "../arch/arm64/index.js";
import { captureState, formatState } from "./trace.js";

export class TraceFile {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;

  /** @param withFp also FPCR, FPSR and Q0-Q31, as `-d cpu,fpu` prints them. */
  constructor(
    file: string,
    private readonly withFp = false,
  ) {
    this.fd = fs.openSync(file, "w");
  }

  /** The per-instruction hook for ExecOptions.onInstruction. */
  readonly record = (cpu: Arm64Cpu): void => {
    const text = formatState(captureState(cpu, this.withFp));
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 1 << 20) this.flush();
  };

  flush(): void {
    if (this.parts.length === 0) return;
    fs.writeSync(this.fd, this.parts.join(""));
    this.parts = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}
