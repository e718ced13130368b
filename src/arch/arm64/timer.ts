// The generic timer (Arm ARM D11): the virtual and EL1 physical timers of one CPU,
// compared against the system counter the runner provides. CNTVOFF is 0, so the
// virtual count equals the physical count. Outputs are levels the virtual GIC samples
// (PPI 27 virtual, PPI 30 physical).

const CTL_ENABLE = 1;
const CTL_IMASK = 2;
const CTL_ISTATUS = 4;

export class GenericTimer {
  vctl = 0;
  vcval = 0n;
  pctl = 0;
  pcval = 0n;
  kctl = 0;

  constructor(
    readonly counter: () => bigint,
    readonly frequency: number,
  ) {}

  now(): bigint {
    return BigInt.asUintN(64, this.counter());
  }

  /** CNTx_CTL as read: ISTATUS reflects the condition whether or not it is masked. */
  readCtl(ctl: number, cval: bigint): number {
    const fired = (ctl & CTL_ENABLE) !== 0 && this.now() >= cval;
    return (ctl & 3) | (fired ? CTL_ISTATUS : 0);
  }

  /** CNTx_TVAL: the signed 32-bit distance to CVAL (D11.2.4). */
  readTval(cval: bigint): bigint {
    return BigInt.asUintN(32, cval - this.now());
  }

  cvalFromTval(tval: bigint): bigint {
    return BigInt.asUintN(64, this.now() + BigInt.asIntN(32, tval));
  }

  private firing(ctl: number, cval: bigint): boolean {
    return (ctl & (CTL_ENABLE | CTL_IMASK)) === CTL_ENABLE && this.now() >= cval;
  }

  outputs(): number {
    return (
      (this.firing(this.vctl, this.vcval) ? 1 : 0) | (this.firing(this.pctl, this.pcval) ? 2 : 0)
    );
  }

  nextDeadline(): bigint | undefined {
    let best: bigint | undefined;
    if ((this.vctl & (CTL_ENABLE | CTL_IMASK)) === CTL_ENABLE) best = this.vcval;
    if (
      (this.pctl & (CTL_ENABLE | CTL_IMASK)) === CTL_ENABLE &&
      (best === undefined || this.pcval < best)
    )
      best = this.pcval;
    return best;
  }
}
