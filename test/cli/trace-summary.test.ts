import { test } from "node:test";
import assert from "node:assert/strict";
import { formatSummary, parseTrace, summarize } from "../../src/cli/trace-summary.js";

/** A small trace with known counts: 2 guest hypercalls, 2 RPC calls, 3 MMIO exits. */
const known = JSON.stringify({
  traceEvents: [
    { name: "process_name", ph: "M", ts: 0, pid: 128, tid: 0, args: { name: "VM 128" } },
    {
      name: "VM_ALLOC_VMID",
      cat: "rpc",
      ph: "X",
      ts: 10,
      dur: 100,
      pid: 255,
      tid: 3,
      args: { error: "OK", gt: 0 },
    },
    {
      name: "VM_START",
      cat: "rpc",
      ph: "X",
      ts: 300,
      dur: 50,
      pid: 255,
      tid: 3,
      args: { error: "DENIED", gt: 0 },
    },
    { name: "run", cat: "exit", ph: "X", ts: 400, dur: 2000, pid: 128, tid: 0, args: { gt: 0 } },
    {
      name: "hypervisor_identify",
      cat: "hvc",
      ph: "X",
      ts: 500,
      dur: 10,
      pid: 128,
      tid: 0,
      args: { gt: 10 },
    },
    {
      name: "msgqueue_send",
      cat: "hvc",
      ph: "X",
      ts: 600,
      dur: 30,
      pid: 128,
      tid: 0,
      args: { error: "MSGQUEUE_FULL", gt: 20 },
    },
    {
      name: "vmmio_write",
      cat: "exit",
      ph: "i",
      s: "t",
      ts: 700,
      pid: 128,
      tid: 0,
      args: { gt: 30 },
    },
    {
      name: "mmio pl011.UARTDR",
      cat: "exit",
      ph: "X",
      ts: 800,
      dur: 5,
      pid: 128,
      tid: 0,
      args: { gt: 30 },
    },
    {
      name: "vmmio_read",
      cat: "exit",
      ph: "i",
      s: "t",
      ts: 900,
      pid: 128,
      tid: 0,
      args: { gt: 40 },
    },
    {
      name: "mmio pl011.UARTFR",
      cat: "exit",
      ph: "X",
      ts: 950,
      dur: 5,
      pid: 128,
      tid: 0,
      args: { gt: 40 },
    },
    {
      name: "vmmio_read",
      cat: "exit",
      ph: "i",
      s: "t",
      ts: 990,
      pid: 128,
      tid: 0,
      args: { gt: 62_500_040 },
    },
    {
      name: "mmio pl011.UARTFR",
      cat: "exit",
      ph: "X",
      ts: 995,
      dur: 5,
      pid: 128,
      tid: 0,
      args: { gt: 62_500_040 },
    },
  ],
  otherData: { droppedEvents: 4, counterFrequency: 62_500_000 },
});

test("trace summary counts a known file exactly", () => {
  const parsed = parseTrace(known);
  assert.ok(typeof parsed !== "string", String(parsed));
  assert.equal(
    formatSummary(summarize(parsed)),
    [
      "11 events, 4 dropped, 1.00 s of guest time",
      "",
      "category      count     host ms",
      "exit              7         2.0",
      "hvc               2         0.0",
      "rpc               2         0.1",
      "",
      "hypercall                count     host ms  errors",
      "hypervisor_identify          1         0.0       0",
      "msgqueue_send                1         0.0       1",
      "",
      "RPC message        count     host ms  errors",
      "VM_ALLOC_VMID          1         0.1       0",
      "VM_START               1         0.1       1",
      "",
      "RPC sequence: VM_ALLOC_VMID VM_START",
      "",
      "MMIO register      count     host ms  errors",
      "pl011.UARTFR           2         0.0       0",
      "pl011.UARTDR           1         0.0       0",
      "",
      "exit             count     host ms",
      "vmmio_read           2         0.0",
      "vmmio_write          1         0.0",
      "",
      "exits per second of guest time: 3",
      "",
    ].join("\n"),
  );
});

test("a bare event array (the JSON Array Format) is read too", () => {
  const parsed = parseTrace('[{"name":"a","cat":"vm","ph":"i","ts":1,"pid":1,"tid":0}]');
  assert.ok(typeof parsed !== "string");
  assert.match(formatSummary(summarize(parsed)), /^1 events\n/);
});

test("events missing the format's fields are named by index", () => {
  assert.match(
    String(parseTrace('{"traceEvents":[{"ph":"i","ts":1,"pid":1,"tid":0}]}')),
    /event 0: no name/,
  );
  assert.match(
    String(parseTrace('{"traceEvents":[{"name":"a","ph":"i","pid":1,"tid":0}]}')),
    /no numeric ts/,
  );
  assert.match(String(parseTrace('{"traceEvents":[{"name":"a","ph":"i","ts":1}]}')), /pid and tid/);
  assert.match(
    String(parseTrace('{"traceEvents":[{"name":"a","ph":"Q","ts":1,"pid":1,"tid":0}]}')),
    /bad phase/,
  );
  assert.match(String(parseTrace('{"traceEvents":[7]}')), /not an object/);
});
