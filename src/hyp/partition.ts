// Partitions: the source of every object and the first owner of memory. The root
// partition owns all RAM at boot; memory extents created from a partition claim
// their pages from it and give them back when destroyed.

import { HypError } from "./abi/errors.js";
import type { MemDb, OwnerTag } from "./memdb.js";
import { HypObject, type ObjectRegistry } from "./object.js";

export class Partition extends HypObject {
  readonly ownerTag: OwnerTag;

  constructor(
    registry: ObjectRegistry,
    private readonly memdb: MemDb,
    label: string,
    private readonly parent: Partition | undefined,
  ) {
    super("partition", registry);
    this.ownerTag = memdb.newOwner(label);
    parent?.get();
  }

  protected onActivate(): number {
    return HypError.OK;
  }

  protected onDestroy(): void {
    // A partition owns memory only if some was given to it; hand it back up.
    const owned = this.memdb.pagesOwnedBy(this.ownerTag);
    if (owned > 0 && this.parent)
      this.memdb.transferOwned(
        this.memdb.basePage,
        this.memdb.pageCount,
        this.ownerTag,
        this.parent.ownerTag,
      );
    if (this.memdb.pagesOwnedBy(this.ownerTag) === 0) this.memdb.releaseOwner(this.ownerTag);
    this.parent?.put();
  }
}
