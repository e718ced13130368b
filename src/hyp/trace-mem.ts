// Memory ownership changes in the hypervisor (category "mem"): every successful
// memextent_donate, with the physical range, the donation type (TO_SIBLING is a
// share, TO_PROTECTED a lend, FROM_PROTECTED its return) and the ownership database
// tags of the extents the pages left and joined. On the hypervisor's track (pid 0).

import { DonateType } from "./abi/objects.js";
import { hex, TraceCat, type Tracer } from "../lib/trace.js";
import { PAGE_SIZE } from "./physmem.js";

const DONATE_NAMES = new Map<number, string>(Object.entries(DonateType).map(([k, v]) => [v, k]));

export function traceDonate(
  tracer: Tracer,
  type: number,
  firstPage: number,
  pages: number,
  from: number,
  to: number,
): void {
  tracer.instant(TraceCat.MEM, `donate ${DONATE_NAMES.get(type) ?? type}`, 0, 0, {
    pa: hex(firstPage * PAGE_SIZE),
    size: hex(pages * PAGE_SIZE),
    from_owner: from,
    to_owner: to,
  });
}
