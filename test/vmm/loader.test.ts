import { test } from "node:test";
import assert from "node:assert/strict";
import {
  IMAGE_MAGIC,
  ImageHeader,
  parseKernel,
  parseLinuxImage,
  planBoot,
  type KernelImage,
} from "../../src/vmm/loader.js";

const MiB = 1 << 20;

/** A fake arm64 Image: the header of booting.rst followed by `body` bytes. */
function image(
  opts: {
    textOffset?: bigint;
    imageSize?: bigint;
    flags?: bigint;
    magic?: number;
    length?: number;
  } = {},
) {
  const length = opts.length ?? 4096;
  const bytes = new Uint8Array(length);
  const header = ImageHeader.encode({
    code0: 0x91005a4d, // "MZ" + add, as a real EFI-stub Image starts
    code1: 0x14000000,
    textOffset: opts.textOffset ?? 0n,
    imageSize: opts.imageSize ?? BigInt(3 * MiB),
    flags: opts.flags ?? 0xan,
    res2: 0n,
    res3: 0n,
    res4: 0n,
    magic: opts.magic ?? IMAGE_MAGIC,
    res5: 0x40,
  });
  bytes.set(header.subarray(0, Math.min(header.length, length)));
  return bytes;
}

test("the header layout is booting.rst's: 64 bytes, magic at 56", () => {
  assert.equal(ImageHeader.size, 64);
  assert.equal(ImageHeader.offsets.textOffset, 8);
  assert.equal(ImageHeader.offsets.imageSize, 16);
  assert.equal(ImageHeader.offsets.magic, 56);
  const bytes = image();
  assert.deepEqual([...bytes.subarray(56, 60)], [0x41, 0x52, 0x4d, 0x64], '"ARM\\x64"');
});

test("an Image is recognised and its text_offset and image_size used", () => {
  const r = parseKernel(image({ textOffset: 0x80000n, imageSize: BigInt(5 * MiB) }));
  assert.ok(r.ok);
  assert.equal(r.value.format, "linux-image");
  assert.equal(r.value.textOffset, 0x80000);
  assert.equal(r.value.footprint, 5 * MiB);
});

test("a pre-3.17 Image (image_size 0) gets text_offset 0x80000 and its file size", () => {
  const r = parseLinuxImage(image({ textOffset: 0x1234n, imageSize: 0n, length: 8192 }));
  assert.ok(r.ok);
  assert.equal(r.value.textOffset, 0x80000);
  assert.equal(r.value.footprint, 8192);
});

test("bad magic, short files, big-endian kernels and inconsistent sizes are refused", () => {
  const reason = (b: Uint8Array) => {
    const r = parseLinuxImage(b);
    return r.ok ? "accepted" : r.error.kind === "bad-image-header" ? r.error.reason : r.error.kind;
  };
  assert.match(reason(image({ magic: 0x12345678 })), /magic is 0x12345678/);
  assert.match(reason(image({ length: 40 })), /shorter than the 64-byte header/);
  assert.match(reason(image({ flags: 1n })), /big-endian/);
  assert.match(reason(image({ textOffset: 0x80001n })), /not page aligned/);
  assert.match(reason(image({ textOffset: 1n << 60n })), /not page aligned/);
  assert.match(reason(image({ imageSize: 100n })), /smaller than the file/);
});

test("files without the magic are raw binaries entered at their first byte; empty ones are refused", () => {
  const r = parseKernel(Uint8Array.of(0x1f, 0x20, 0x03, 0xd5));
  assert.ok(r.ok);
  assert.deepEqual(
    { format: r.value.format, textOffset: r.value.textOffset, footprint: r.value.footprint },
    {
      format: "raw",
      textOffset: 0,
      footprint: 4,
    },
  );
  const empty = parseKernel(new Uint8Array(0));
  assert.equal(empty.ok ? "ok" : empty.error.kind, "empty-kernel");
});

const kernel = (textOffset: number, footprint: number, length = 4096): KernelImage => ({
  format: "linux-image",
  bytes: new Uint8Array(length),
  textOffset,
  footprint,
});

test("the plan puts the DTB at the 2 MiB boundary after the kernel's footprint, the initrd after it", () => {
  const r = planBoot({
    ramSize: 64 * MiB,
    kernel: kernel(0x80000, 5 * MiB),
    dtbReserve: 0x10000,
    initrdSize: 3 * MiB,
  });
  assert.ok(r.ok);
  assert.deepEqual(r.value.kernel, { offset: 0x80000, size: 4096 });
  assert.equal(r.value.entryOffset, 0x80000);
  assert.deepEqual(r.value.dtb, { offset: 6 * MiB, size: 0x10000 });
  assert.deepEqual(r.value.initrd, { offset: 6 * MiB + 0x10000, size: 3 * MiB });
  assert.equal(r.value.end, 9 * MiB + 0x10000);
});

test("a kernel, DTB or initrd that does not fit in guest memory is refused with the sizes", () => {
  const tooBig = planBoot({ ramSize: 8 * MiB, kernel: kernel(0, 9 * MiB), dtbReserve: 0x10000 });
  assert.deepEqual(tooBig.ok ? undefined : tooBig.error, {
    kind: "does-not-fit",
    what: "the kernel",
    need: 9 * MiB,
    have: 8 * MiB,
  });
  const noDtb = planBoot({ ramSize: 8 * MiB, kernel: kernel(0, 7 * MiB), dtbReserve: 0x10000 });
  assert.equal(noDtb.ok ? "ok" : noDtb.error.kind, "does-not-fit");
  const noInitrd = planBoot({
    ramSize: 8 * MiB,
    kernel: kernel(0, MiB),
    dtbReserve: 0x10000,
    initrdSize: 6 * MiB,
  });
  assert.equal(
    noInitrd.ok ? "ok" : noInitrd.error.kind === "does-not-fit" && noInitrd.error.what,
    "the kernel, device tree and initrd",
  );
  const exact = planBoot({
    ramSize: 8 * MiB,
    kernel: kernel(0, MiB),
    dtbReserve: 0x10000,
    initrdSize: 6 * MiB - 0x10000,
  });
  assert.ok(exact.ok, "fits exactly");
});
