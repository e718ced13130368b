// The memory ownership database: the owner of every 4 KiB physical page. Memory is
// reachable from two places only if it was shared on purpose: ownership moves
// between owners atomically (all pages or none), and mappings follow ownership.

import { InvariantError } from "../lib/assert.js";

/** An owner tag; 0 is "the hypervisor itself" (not available to any partition). */
export type OwnerTag = number;
export const HYP_OWNER: OwnerTag = 0;

export class MemDb {
  private readonly owners: Uint32Array;
  private readonly counts = new Map<OwnerTag, number>();
  private readonly labels = new Map<OwnerTag, string>();
  private nextTag = 1;

  constructor(
    readonly basePage: number,
    readonly pageCount: number,
  ) {
    this.owners = new Uint32Array(pageCount);
    this.counts.set(HYP_OWNER, pageCount);
    this.labels.set(HYP_OWNER, "hypervisor");
  }

  newOwner(label: string): OwnerTag {
    const tag = this.nextTag++;
    if (tag > 0xffff_ffff) throw new InvariantError("memdb: owner tags exhausted");
    this.counts.set(tag, 0);
    this.labels.set(tag, label);
    return tag;
  }

  /** Forgets an owner that holds no pages any more. */
  releaseOwner(tag: OwnerTag): void {
    if ((this.counts.get(tag) ?? 0) !== 0)
      throw new InvariantError(`memdb: releasing ${this.labels.get(tag)} while it owns pages`);
    this.counts.delete(tag);
    this.labels.delete(tag);
  }

  inRange(firstPage: number, count: number): boolean {
    return (
      count > 0 && firstPage >= this.basePage && firstPage + count <= this.basePage + this.pageCount
    );
  }

  owner(page: number): OwnerTag | undefined {
    if (!this.inRange(page, 1)) return undefined;
    return this.owners[page - this.basePage];
  }

  /** True if every page of the range belongs to `tag`. */
  ownsAll(firstPage: number, count: number, tag: OwnerTag): boolean {
    if (!this.inRange(firstPage, count)) return false;
    const start = firstPage - this.basePage;
    for (let i = 0; i < count; i++) if (this.owners[start + i] !== tag) return false;
    return true;
  }

  /** Moves every page of the range from `from` to `to`; false (nothing moved) if any page is not `from`'s. */
  transfer(firstPage: number, count: number, from: OwnerTag, to: OwnerTag): boolean {
    if (!this.counts.has(from) || !this.counts.has(to)) return false;
    if (!this.ownsAll(firstPage, count, from)) return false;
    this.owners.fill(to, firstPage - this.basePage, firstPage - this.basePage + count);
    this.counts.set(from, (this.counts.get(from) ?? 0) - count);
    this.counts.set(to, (this.counts.get(to) ?? 0) + count);
    return true;
  }

  /** Moves whichever pages of the range `from` owns to `to`; returns the pages moved. */
  transferOwned(firstPage: number, count: number, from: OwnerTag, to: OwnerTag): number[] {
    const moved: number[] = [];
    if (!this.inRange(firstPage, count)) return moved;
    const start = firstPage - this.basePage;
    for (let i = 0; i < count; i++) {
      if (this.owners[start + i] === from) {
        this.owners[start + i] = to;
        moved.push(firstPage + i);
      }
    }
    this.counts.set(from, (this.counts.get(from) ?? 0) - moved.length);
    this.counts.set(to, (this.counts.get(to) ?? 0) + moved.length);
    return moved;
  }

  pagesOwnedBy(tag: OwnerTag): number {
    return this.counts.get(tag) ?? 0;
  }

  /** Pages by owner label, for leak accounting. */
  summary(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [tag, n] of this.counts) {
      const label = tag === HYP_OWNER ? "hypervisor" : `${this.labels.get(tag) ?? "owner"}#${tag}`;
      out[label] = n;
    }
    return out;
  }

  get ownerCount(): number {
    return this.counts.size;
  }
}
