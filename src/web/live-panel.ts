// The live panel: state, vCPUs, instructions retired, MIPS, the compiled share, uptime
// (the run statistics, worker-stats.ts), memory lent and shared (with a bar against the
// guest's RAM), exits by kind, and the layers' log.

import type { VmState, VmStats } from "./protocol.js";

const MAX_LOG_LINES = 500;

const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};

function bytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(0)} KiB`;
}

export class LivePanel {
  private readonly log = byId<HTMLPreElement>("log");
  private logLines = 0;

  state(state: VmState | "idle" | "loading" | "failed", text: string = state): void {
    const pill = byId("state");
    pill.dataset.state = state;
    pill.textContent = text;
    byId("s-state").textContent = text;
  }

  stats(s: VmStats): void {
    byId("s-vcpus").textContent = String(s.vcpus);
    byId("s-instructions").textContent = s.instructions.toLocaleString("en-US");
    byId("s-mips").textContent = s.mips.toFixed(1);
    byId("s-jit").textContent =
      s.compiledShare === undefined ? "off" : `${(100 * s.compiledShare).toFixed(1)}%`;
    byId("s-seconds").textContent = `${s.seconds.toFixed(1)} s`;
    byId("s-lent").textContent = bytes(s.memoryLent);
    byId("s-shared").textContent = bytes(s.memoryShared);
    const pct = (n: number) => `${Math.min(100, (100 * n) / Math.max(1, s.guestMemory))}%`;
    byId("bar-lent").style.width = pct(s.memoryLent);
    byId("bar-shared").style.width = pct(s.memoryShared);
    const rows = Object.entries(s.exits).sort((a, b) => b[1] - a[1]);
    const body = byId("s-exits");
    body.replaceChildren(
      ...rows.map(([kind, n]) => {
        const tr = document.createElement("tr");
        const name = document.createElement("td");
        name.textContent = kind;
        const count = document.createElement("td");
        count.textContent = n.toLocaleString("en-US");
        tr.append(name, count);
        return tr;
      }),
    );
  }

  addLog(line: string): void {
    if (this.logLines >= MAX_LOG_LINES) this.log.firstChild?.remove();
    else this.logLines++;
    this.log.append(document.createTextNode(`${line}\n`));
  }

  clear(): void {
    for (const id of [
      "s-vcpus",
      "s-instructions",
      "s-mips",
      "s-jit",
      "s-seconds",
      "s-lent",
      "s-shared",
    ])
      byId(id).textContent = "-";
    byId("s-exits").replaceChildren();
    this.log.replaceChildren();
    this.logLines = 0;
  }
}

export { byId };
