// Broadcast TLB maintenance between two PEs on one memory (Arm ARM D8.13.3): PE 1 reads
// a page (its TLB, and under the JIT the mirror of it, now hold the translation), PE 0
// points the page's descriptor at another frame and issues TLBI VAE1IS or VMALLE1IS,
// then PE 1 reads the page again and must see the new frame. The two PEs are joined
// the way the hypervisor joins a VM's vCPUs (src/hyp/addrspace.ts invalidateOthers).

import { test } from "node:test";
import assert from "node:assert/strict";
import { haveAssembler, SKIP_NO_AS, RAM_BASE } from "./harness.js";
import { createCpu } from "../../../src/arch/arm64/index.js";
import type { Arm64Cpu, TlbBroadcast } from "../../../src/arch/arm64/port.js";
import { TIERS, cpuJit } from "../../tiers.js";
import { mmuMachine, run, X, L3, AF, SH } from "./mmu-machine.js";

const skip = !haveAssembler() && SKIP_NO_AS;
const PAGE = RAM_BASE + 0x90000;
const NEW_DESCRIPTOR = BigInt(RAM_BASE + 0x91000) | 3n | AF | SH;

/** PE 0 retargets PAGE and runs `tlbi`; PE 1 reads PAGE before (x2) and after (x3). */
function body(tlbi: string): string {
  return `
  mrs x9, mpidr_el1
  and x9, x9, #0xff
  ldr x1, =${PAGE}
  lsr x7, x1, #12
  cbnz x9, second
  ldr x5, =${L3 + 8 * 0x90}
  ldr x6, =${NEW_DESCRIPTOR}
  str x6, [x5]
  dsb ish
  ${tlbi}
  dsb ish
  isb
  b done
second:
  ldr x2, [x1]
  hvc #0x70
  ldr x3, [x1]
done:
`;
}

for (const tier of TIERS) {
  for (const tlbi of ["tlbi vae1is, x7", "tlbi vmalle1is", "tlbi vaale1is, x7"]) {
    test(`${tier}: ${tlbi} on one PE drops the other PE's entry`, { skip }, () => {
      const cpus: Arm64Cpu[] = [];
      const domain: TlbBroadcast = {
        invalidateOthers: (from, page) => {
          for (const cpu of cpus) if (cpu !== from) cpu.invalidateTlb?.(page);
        },
      };
      const options = { jit: cpuJit(tier), tlbBroadcast: domain };
      const m0 = mmuMachine(body(tlbi), { ...options, mpidr: 0n });
      const pe1 = createCpu({ mode: "system", memory: m0.mem, ...options, mpidr: 1n });
      pe1.reset(RAM_BASE);
      const m1 = { cpu: pe1, mem: m0.mem };
      cpus.push(m0.cpu, pe1);
      m0.mem.view.setBigUint64(0x90000, 0xa0n, true);
      m0.mem.view.setBigUint64(0x91000, 0xb0n, true);

      assert.equal(run1(pe1), 0x70, "PE 1 reads the page, then waits");
      assert.equal(X(m1, 2), 0xa0n);
      assert.equal(run(m0), 0x77, "PE 0 retargets the page and broadcasts the TLBI");
      assert.equal(run(m1), 0x77);
      assert.equal(X(m1, 3), 0xb0n, "PE 1 read the new frame: its entry was dropped");
    });
  }
}

/** Runs until the HVC that ends PE 1's first half. */
function run1(cpu: Arm64Cpu): number {
  const e = cpu.run(100000);
  assert.equal(e.kind, "hvc");
  return e.kind === "hvc" ? e.imm : -1;
}
