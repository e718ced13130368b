// The `vrtc-pl031` vdevice in the RM: the configuration's node (parse_vrtc's rules and
// hostile inputs), the objects VM_INIT builds for it, the `/vsoc` nodes it writes into
// the guest's tree (those of the public RM's dto_create_vrtc), and VM_SET_TIME_BASE.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseFdt } from "../../src/lib/fdt.js";
import { HypError } from "../../src/hyp/abi/index.js";
import { HypErrorData, RmError, VmMsg, VmSetTimeBaseRequest } from "../../src/rm/protocol/index.js";
import { vmmioRanges } from "../../src/rm/gic-frames.js";
import { parseVmConfig, parseVmConfigBlob } from "../../src/rm/vm-config.js";
import { bootTestPlatform, leakSnapshot } from "./helpers/boot.js";
import { createVm, destroyVm, DTB_REGION, guestDtb, type GuestDtSpec } from "./helpers/requests.js";

const RTC = 0x0901_0000n;

function parse(spec: GuestDtSpec, edit?: (blob: Uint8Array) => Uint8Array) {
  const blob = guestDtb(spec);
  return parseVmConfigBlob(edit ? edit(blob) : blob);
}

test("vrtc-pl031: base or allocate-base, page aligned, one per VM, clear of RAM and the GIC", () => {
  const good = parse({ vrtc: { base: RTC } });
  assert.ok(good.ok);
  assert.deepEqual(good.value.config.vrtc, { name: "vrtc", base: 0x0901_0000 });
  const allocated = parse({ vrtc: { allocate: true } });
  assert.ok(allocated.ok);
  assert.equal(allocated.value.config.vrtc?.base, 0x0901_0000);
  const none = parse({});
  assert.ok(none.ok);
  assert.equal(none.value.config.vrtc, undefined);

  const refused = (spec: GuestDtSpec, why: RegExp) => {
    const r = parse(spec);
    assert.equal(
      r.ok,
      false,
      JSON.stringify(spec, (_k, v) => (typeof v === "bigint" ? `${v}` : v)),
    );
    if (!r.ok) assert.match(r.error, why);
  };
  refused({ vrtc: { base: RTC, allocate: true } }, /both present/);
  refused({ vrtc: {} }, /neither base nor allocate-base/);
  refused({ vrtc: { base: RTC + 4n } }, /not page aligned/);
  refused({ vrtc: { base: 0x4000_0000n } }, /overlaps the VM's memory/);
  refused({ vrtc: { base: 0x3fff_f000n + 0x1000n } }, /overlaps the VM's memory/);
  refused({ vrtc: { base: 0x0800_0000n } }, /overlaps the GIC/);
  refused({ vrtc: { base: 0x080a_0000n } }, /overlaps the GIC/);
  refused({ vrtc: { base: 1n << 60n } }, /out of range|overlaps/);
  // The last redistributor frame of a 2-vCPU VM ends at 0x080e_0000.
  refused({ cpus: 2, vrtc: { base: 0x080d_f000n } }, /overlaps the GIC/);
  assert.ok(parse({ cpus: 2, vrtc: { base: 0x080e_0000n } }).ok);
});

test("vrtc-pl031: a second node and a base that is not a u64 are refused", () => {
  const blob = guestDtb({ vrtc: { base: RTC } });
  const twice = parseVmConfigBlob(blob);
  assert.ok(twice.ok);
  twice.value.fdt.root
    .find("gunyah-vm-config/vdevices")!
    .addChild("rtc2")
    .setString("vdevice-type", "vrtc-pl031")
    .setU64("base", 0x0902_0000n);
  const r = parseVmConfig(twice.value.fdt);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.error, /one per VM/);
  twice.value.fdt.root.find("gunyah-vm-config/vdevices")!.removeChild("rtc2");
  twice.value.fdt.root.find("gunyah-vm-config/vdevices/vrtc")!.setU32("base", 0x0901_0000);
  const short = parseVmConfig(twice.value.fdt);
  assert.equal(short.ok, false);
  if (!short.ok) assert.match(short.error, /not a u64/);
});

test("the vRTC page is not a VMMIO range (the hypervisor answers it)", () => {
  const ranges = vmmioRanges(0x4000_0000, 1, [{ base: 0x0901_0000, size: 0x1000 }]);
  const hit = (ipa: number) => ranges.some((r) => ipa >= r.base && ipa < r.base + r.size);
  assert.equal(hit(0x0901_0000), false);
  assert.equal(hit(0x0901_0ffc), false);
  assert.equal(hit(0x0900_0000), true);
  assert.equal(hit(0x0901_1000), true);
  assert.equal(hit(0x0800_0000), false);
});

test("VM_INIT builds the vRTC and writes /vsoc; VM_SET_TIME_BASE once, in READY, by the owner", async () => {
  const { platform, client } = bootTestPlatform();
  const before = leakSnapshot(platform);
  const dtbPa = platform.host.ram.base + 0x10_0000;
  const vm = await createVm(client, { dtbPa, dt: { vrtc: { base: RTC } } });
  assert.equal(platform.hypervisor.stats().objects.vrtc, 1);

  const req = (vmid: number, ref: bigint, timeBase = 1_614_834_367n * 1_000_000_000n) =>
    VmSetTimeBaseRequest.encode({ vmid, timeBase, sysTimerRef: ref });
  // Each error carries the hypervisor's error as 4 bytes of data (the public RM's
  // rm_reply_error(..., &hvc_err, 4)): ARGUMENT_INVALID where no hypercall was made.
  const call = async (payload: Uint8Array) => {
    const r = await client.call(VmMsg.VM_SET_TIME_BASE, payload);
    if (r.error === RmError.OK) {
      assert.equal(r.data.length, 0);
      return "OK";
    }
    const hyp = HypErrorData.decodeExact(r.data);
    assert.ok(hyp, `4 bytes of error data, got ${r.data.length}`);
    return `${r.error}/${hyp.hypError}`;
  };
  const refused = (rm: number, hyp: number = HypError.ARGUMENT_INVALID) => `${rm}/${hyp}`;
  const now = () => platform.host.vm.counter();
  assert.equal(await call(req(vm.vmid, now()).subarray(0, 19)), refused(RmError.MSG_INVALID));
  assert.equal(await call(req(0x7f, now())), refused(RmError.NORESOURCE));
  // vmid 0 names the caller: the host, running, is past INIT/READY (checked first).
  assert.equal(await call(req(0, now())), refused(RmError.VM_STATE));
  // A reference the counter has not reached yet: the hypervisor refuses it.
  const future = await call(req(vm.vmid, now() + 1_000_000_000n));
  assert.equal(future, refused(RmError.ARGUMENT_INVALID, HypError.ARGUMENT_INVALID));
  assert.equal(await call(req(vm.vmid, now())), "OK");
  // A second time base: the vRTC's own refusal (BUSY, set once) comes through.
  const again = await call(req(vm.vmid, now()));
  assert.equal(again, refused(RmError.ARGUMENT_INVALID, HypError.BUSY), "only once");
  await destroyVm(client, vm, false);
  assert.equal(leakSnapshot(platform), before);
  // The DTB pages are the host's again: the tree the guest would have seen.
  const back = platform.host.vm.memory.read(dtbPa, DTB_REGION);
  assert.ok(back.ok);
  const fdt = parseFdt(back.value);
  assert.ok(fdt.ok);
  const vsoc = fdt.value.root.find("/vsoc")!;
  assert.equal(vsoc.getString("compatible"), "simple-bus");
  assert.equal(vsoc.getU32("#address-cells"), 2);
  assert.equal(vsoc.getU32("#size-cells"), 2);
  assert.ok(vsoc.has("ranges"));
  const pclk = fdt.value.root.find("/vsoc/vrtc-pclk")!;
  assert.equal(pclk.getString("compatible"), "fixed-clock");
  assert.equal(pclk.getU32("#clock-cells"), 0);
  const rtc = fdt.value.root.find("/vsoc/vrtc")!;
  assert.deepEqual(rtc.getStrings("compatible"), ["arm,pl031", "arm,primecell"]);
  assert.deepEqual(rtc.getU32Array("reg"), [0, 0x0901_0000, 0, 0x1000]);
  assert.equal(rtc.getString("clock-names"), "apb_pclk");
  assert.equal(rtc.getU32("clocks"), pclk.getU32("phandle"));
  assert.equal(rtc.has("interrupts"), false);
});

test("VM_SET_TIME_BASE for a VM without a vRTC, or not yet initialised", async () => {
  const { platform, client } = bootTestPlatform();
  const dtbPa = platform.host.ram.base + 0x20_0000;
  const alloc = await client.call(VmMsg.VM_ALLOC_VMID, new Uint8Array(4));
  const vmid = alloc.data[0]!;
  const req = (v: number) =>
    VmSetTimeBaseRequest.encode({ vmid: v, timeBase: 1n, sysTimerRef: 0n });
  const early = await client.call(VmMsg.VM_SET_TIME_BASE, req(vmid));
  assert.equal(early.error, RmError.VM_STATE);
  assert.deepEqual(HypErrorData.decodeExact(early.data), { hypError: HypError.ARGUMENT_INVALID });
  const vm = await createVm(client, { dtbPa, dt: {} });
  // No vRTC: vm_config_vrtc_set_time_base's DENIED, as the error data.
  const none = await client.call(VmMsg.VM_SET_TIME_BASE, req(vm.vmid));
  assert.equal(none.error, RmError.ARGUMENT_INVALID);
  assert.deepEqual(HypErrorData.decodeExact(none.data), { hypError: HypError.DENIED });
  await destroyVm(client, vm, false);
});

test("VM_INIT refuses a vRTC over the GIC or the VM's memory, and leaves nothing behind", async () => {
  const { platform, client } = bootTestPlatform();
  const before = leakSnapshot(platform);
  const bases = [0x0800_0000n, 0x4000_0000n, RTC + 0x800n];
  for (const [i, base] of bases.entries()) {
    const dtbPa = platform.host.ram.base + 0x30_0000 + i * DTB_REGION;
    await assert.rejects(
      createVm(client, { dtbPa, dt: { vrtc: { base } } }),
      new RegExp(`0x${VmMsg.VM_INIT.toString(16)}: error ${RmError.ARGUMENT_INVALID}`),
    );
  }
  assert.equal(platform.hypervisor.stats().objects.vrtc, 0);
  // The refused VMs stay allocated in LOAD/INIT_FAILED; their objects were never made.
  const s = JSON.parse(leakSnapshot(platform)) as { objects: Record<string, number> };
  const b = JSON.parse(before) as { objects: Record<string, number> };
  assert.equal(s.objects.vrtc, b.objects.vrtc);
  assert.equal(s.objects.thread, b.objects.thread);
});
