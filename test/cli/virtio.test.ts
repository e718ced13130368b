// `gunyah run --disk/--rng/--virtio-console`: option parsing, start failures, and the
// devices the guest finds (virtio-mmio slots probed through the fake host's vCPU).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { parseFdt } from "../../src/lib/fdt.js";
import { setLogSink } from "../../src/lib/log.js";
import { Resume } from "../../src/vmm/run-structure.js";
import { FakeHypervisor, type Step } from "../vmm/fake-host.js";

setLogSink(() => {});

async function cli(argv: string[], scripts: Step[][] = [], extra: Partial<CliIo> = {}) {
  let stdout = "";
  let stderr = "";
  const decoder = new TextDecoder();
  const host = new FakeHypervisor(scripts);
  const code = await main(argv, {
    stdout: (d) => void (stdout += typeof d === "string" ? d : decoder.decode(d)),
    stderr: (t) => void (stderr += t),
    openHost: async () => host,
    stdin: undefined,
    onInterrupt: undefined,
    ...extra,
  });
  return { code, stdout, stderr, host };
}

const POWER_OFF: Step = { status: 2, exitType: 1 };
const SLOT = (n: number) => 0x0a00_0000 + n * 0x200;
const MAGIC = 0x74726976n; // "virt"

function diskFile(bytes = 4096): string {
  const file = join(mkdtempSync(join(tmpdir(), "gunyah-disk-")), "disk.img");
  writeFileSync(file, new Uint8Array(bytes));
  return file;
}

test("bad --disk options are a start failure with one clear line", async () => {
  const file = diskFile();
  const cases: Array<[string[], RegExp]> = [
    [["run", "--disk", `${file},bogus`], /^gunyah run: --disk .*,bogus: unknown option "bogus"/],
    [["run", "--disk", ",ro"], /^gunyah run: --disk ,ro: no file name\n$/],
    [["run", "--disk", `${file},serial=`], /unknown option "serial="/],
    [["run", "--disk", `${file},serial=${"x".repeat(21)}`], /unknown option "serial=x+"/],
    [["run", "--disk", "/nonexistent/disk.img"], /^gunyah run: .*\/nonexistent\/disk\.img/],
    [
      ["run", "--disk", file, "--disk", `${file},ro`],
      /^gunyah run: --disk .*,ro: .* is already a disk\n$/,
    ],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(argv, [[POWER_OFF]]);
    assert.equal(r.code, 1, argv.join(" "));
    assert.match(r.stderr, message);
    assert.equal(r.stderr.split("\n").length, 2, "one line");
    assert.equal(r.stdout, "");
    assert.equal(r.host.vm?.started ?? false, false, "the guest never ran");
  }
  const missing = await cli(["run", "--disk"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /option '--disk <file>\[,ro\]\[,serial=<id>\]' argument missing/);
});

test("disks, then the rng, take virtio-mmio slots in order; RAM is shared", async () => {
  const dtbFile = join(mkdtempSync(join(tmpdir(), "gunyah-cli-")), "guest.dtb");
  const [a, b] = [diskFile(), diskFile(8192)];
  const probe: Step[] = [
    { mmioRead: SLOT(0), width: 4 },
    { mmioRead: SLOT(0) + 8, width: 4 }, // DeviceID
    { mmioRead: SLOT(0) + 0x10, width: 4 }, // DeviceFeatures[0..31]
    { mmioRead: SLOT(1) + 8, width: 4 },
    { mmioRead: SLOT(1) + 0x10, width: 4 },
    { mmioRead: SLOT(2) + 8, width: 4 },
    POWER_OFF,
  ];
  const argv = ["run", "--disk", `${a},ro,serial=abc`, "--disk", b, "--rng", "--dtb-out", dtbFile];
  const r = await cli(argv, [probe]);
  assert.equal(r.code, 0, r.stderr);
  const replies = r.host.vm?.vcpus[0]?.replies.map((x) => x.value) ?? [];
  assert.equal(replies[0], MAGIC);
  assert.equal(replies[1], 2n, "slot 0: virtio-blk");
  assert.ok(((replies[2] ?? 0n) & (1n << 5n)) !== 0n, "slot 0 is read-only (VIRTIO_BLK_F_RO)");
  assert.equal(replies[3], 2n, "slot 1: virtio-blk");
  assert.equal((replies[4] ?? 0n) & (1n << 5n), 0n, "slot 1 is writable");
  assert.equal(replies[5], 4n, "slot 2: virtio-rng");
  assert.equal(r.host.vm?.maps[0]?.access, "share");
  const fdt = parseFdt(new Uint8Array(readFileSync(dtbFile)));
  assert.ok(fdt.ok);
  const nodes = fdt.value.root.children
    .filter((n) => n.name.startsWith("virtio_mmio@"))
    .map((n) => n.name);
  assert.deepEqual(nodes.sort(), [
    "virtio_mmio@a000000",
    "virtio_mmio@a000200",
    "virtio_mmio@a000400",
  ]);
});

test("without virtio devices RAM stays lent and no virtio node exists", async () => {
  const r = await cli(["run"], [[{ mmioRead: SLOT(0), width: 4 }, POWER_OFF]]);
  assert.equal(r.code, 0);
  assert.equal(r.host.vm?.maps[0]?.access, "lend");
  const reply = r.host.vm?.vcpus[0]?.replies[0];
  assert.notEqual(reply?.action, Resume.HANDLED, "no device answered at slot 0");
});

test("--virtio-console takes stdin for hvc0; the UART gets none", async () => {
  let attached = 0;
  let detached = false;
  const r = await cli(
    ["run", "--virtio-console"],
    [[{ mmioRead: SLOT(0) + 8, width: 4 }, { mmioRead: 0x0900_0018, width: 4 }, POWER_OFF]],
    {
      stdin: {
        attach(onData) {
          attached++;
          onData(new TextEncoder().encode("ls\n"));
          return () => void (detached = true);
        },
      },
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const replies = r.host.vm?.vcpus[0]?.replies.map((x) => x.value) ?? [];
  assert.equal(replies[0], 3n, "slot 0: virtio-console");
  assert.ok(((replies[1] ?? 0n) & 0x10n) !== 0n, "UARTFR.RXFE: nothing reached the UART");
  assert.equal(attached, 1, "stdin attached once, to hvc0");
  assert.ok(detached, "input detached at the end");
  assert.equal(r.host.vm?.maps[0]?.access, "share");
});
