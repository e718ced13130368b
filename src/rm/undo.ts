// Releasing what a multi-step build took, in reverse and by stage (style rule 9:
// references are released explicitly). A failed VM_INIT runs every stage at once; a
// VM_RESET runs them in the documented order, one stage per step.

export type TeardownStage = "vdevices" | "irqs" | "vm";

export const TEARDOWN_ORDER: readonly TeardownStage[] = ["vdevices", "irqs", "vm"];

export class UndoStack {
  private readonly entries: { stage: TeardownStage; undo: () => void }[] = [];

  push(stage: TeardownStage, undo: () => void): void {
    this.entries.push({ stage, undo });
  }

  /** Runs and forgets the entries of one stage, newest first. */
  runStage(stage: TeardownStage): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.stage !== stage) continue;
      this.entries.splice(i, 1);
      e.undo();
    }
  }

  runAll(): void {
    for (const s of TEARDOWN_ORDER) this.runStage(s);
  }

  get size(): number {
    return this.entries.length;
  }
}
