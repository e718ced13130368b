import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { parseFdt } from "../../src/lib/fdt.js";
import { setLogSink } from "../../src/lib/log.js";
import { FakeHypervisor, uartWrites, type Step } from "../vmm/fake-host.js";

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

test("gunyah run boots the guest, copies its UART output to stdout and exits 0", async () => {
  const r = await cli(["run"], [[...uartWrites("hello\n"), POWER_OFF]]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "hello\n");
  assert.equal(r.stderr, "");
});

test("bad input ends with exit code 1 and one clear line on stderr", async () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ["run", "--memory", "lots"],
      /^gunyah run: --memory: "lots" is not a size \(examples: 256M, 1G\)\n$/,
    ],
    [["run", "--memory", "0"], /^gunyah run: --memory: must be between/],
    [["run", "--cpus", "two"], /^gunyah run: --cpus: "two" is not a whole number from 1 to \d+\n$/],
    [
      ["run", "--timeout", "0"],
      /^gunyah run: --timeout: "0" is not a number of seconds above 0\n$/,
    ],
    [
      ["run", "--kernel", "/nonexistent/Image"],
      /^gunyah run: \/nonexistent\/Image: no such file\n$/,
    ],
    [
      ["run", "--initrd", "/nonexistent/initrd"],
      /^gunyah run: \/nonexistent\/initrd: no such file\n$/,
    ],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(argv);
    assert.equal(r.code, 1, argv.join(" "));
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "");
  }
});

test("usage errors come from commander with exit code 1", async () => {
  const unknownOption = await cli(["run", "--frobnicate"]);
  assert.equal(unknownOption.code, 1);
  assert.equal(unknownOption.stderr, "error: unknown option '--frobnicate'\n", "one line");
  const missingValue = await cli(["run", "--kernel"]);
  assert.equal(missingValue.code, 1);
  assert.match(missingValue.stderr, /option '--kernel <file>' argument missing/);
  const unknownCommand = await cli(["fly"]);
  assert.equal(unknownCommand.code, 1);
  assert.match(unknownCommand.stderr, /unknown command 'fly'/);
});

test("help and version exit 0 on stdout", async () => {
  const help = await cli(["run", "--help"]);
  assert.equal(help.code, 0);
  for (const opt of [
    "--kernel",
    "--initrd",
    "--append",
    "--memory",
    "--cpus",
    "--timeout",
    "--dtb-out",
  ])
    assert.ok(help.stdout.includes(opt), opt);
  const version = await cli(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

test("a host that cannot be opened is a start failure", async () => {
  const r = await cli(["run"], [], { openHost: async () => "no /dev/gunyah here" });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "gunyah run: no /dev/gunyah here\n");
});

test("--dtb-out writes the generated device tree", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "gunyah-cli-")), "guest.dtb");
  const r = await cli(
    ["run", "--dtb-out", file, "--cpus", "2", "--append", "console=ttyAMA0 quiet"],
    [[POWER_OFF]],
  );
  assert.equal(r.code, 0);
  const fdt = parseFdt(new Uint8Array(readFileSync(file)));
  assert.ok(fdt.ok);
  assert.equal(fdt.value.root.find("chosen")?.getString("bootargs"), "console=ttyAMA0 quiet");
  assert.equal(fdt.value.root.find("cpus")?.children.length, 2);
  const bad = await cli(["run", "--dtb-out", "/nonexistent/dir/x.dtb"], [[POWER_OFF]]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^gunyah run: --dtb-out \/nonexistent\/dir\/x\.dtb: ENOENT/);
  assert.equal(bad.host.vm?.closed, 1, "the VM is torn down");
});

test("guest failures: fault 2, reset 3, timeout 124, Ctrl-C 130, each with a message", async () => {
  const fault = await cli(["run", "--on-unbacked", "stop"], [[{ pageFault: 0x2000_0000 }]]);
  assert.equal(fault.code, 2);
  assert.match(fault.stderr, /^gunyah run: guest faulted: vCPU 0 accessed 0x20000000/);
  const reset = await cli(["run"], [[{ status: 2, exitType: 2 }]]);
  assert.equal(reset.code, 3);
  assert.match(reset.stderr, /guest reset \(PSCI SYSTEM_RESET\)/);
  const hang = await cli(["run", "--timeout", "0.2"], [[{ hang: true }]]);
  assert.equal(hang.code, 124);
  assert.equal(
    hang.stderr,
    "gunyah run: guest did not stop within 0.2 s (--timeout); stopped it\n",
  );
  const ctrlC = await cli(["run"], [[{ hang: true }]], {
    onInterrupt: (handler) => {
      const t = setTimeout(handler, 50);
      return () => clearTimeout(t);
    },
  });
  assert.equal(ctrlC.code, 130);
  assert.match(ctrlC.stderr, /interrupted \(SIGINT\)/);
});

test("console input reaches the guest's UART; Ctrl-A X leaves", async () => {
  let leave: (() => void) | undefined;
  let detached = false;
  const r = await cli(["run"], [[{ mmioRead: 0x0900_0000, width: 4 }, { hang: true }]], {
    stdin: {
      attach(onData, onEscape) {
        onData(new TextEncoder().encode("ls\n"));
        leave = onEscape;
        setTimeout(() => leave?.(), 50);
        return () => void (detached = true);
      },
    },
  });
  assert.equal(r.code, 130);
  assert.match(r.stderr, /left with Ctrl-A X/);
  assert.ok(detached, "input detached at the end");
  assert.equal(r.host.vm?.vcpus[0]?.replies[0]?.value, 0x6cn, "the guest read 'l' from UARTDR");
});

test("layer logs: hidden on success, shown before the verdict on failure, live with -v", async () => {
  const refused: Step = { mmioRead: 0x0a00_0000, width: 4 };
  const okRun = await cli(["run"], [[refused, POWER_OFF]]);
  assert.equal(okRun.code, 0);
  assert.equal(okRun.stderr, "");
  const failed = await cli(
    ["run", "--on-unbacked", "stop"],
    [[refused, { pageFault: 0x2000_0000 }]],
  );
  assert.equal(failed.code, 2);
  const lines = failed.stderr.trimEnd().split("\n");
  assert.equal(lines[0], "vmm: mmio: read: no device at 0xa000000");
  assert.match(lines.at(-1) ?? "", /^gunyah run: guest faulted/, "the verdict is the last line");
  const verbose = await cli(["run", "-v"], [[refused, POWER_OFF]]);
  assert.equal(verbose.code, 0);
  assert.equal(verbose.stderr, "vmm: mmio: read: no device at 0xa000000\n");
});

test("the top-level help lists every command", async () => {
  const r = await cli(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\s+run \[options\]/m);
  assert.match(r.stdout, /^\s+exec \[options\] <program> \[args\.\.\.\]/m);
  assert.match(r.stdout, /^\s+rm-server \[options\]/m);
});
