// `gunyah run --rtc-base <ISO 8601>` and the page's "RTC base" field: the time the
// guest's RTC (the hypervisor's vRTC, a PL031) shows when the VM starts. Without it the
// RTC starts at the front end's clock (the host's, the browser's), so `date` in the
// guest prints today; with it a run is reproducible exactly (the RTC then advances with
// the deterministic guest clock). A malformed value is an error before anything starts.
// Here, not in a front end, so both parse it the same way and say the same.

/** Dates with a time need a zone (Z or ±hh:mm) so a run means the same everywhere. */
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** The PL031's RTCDR is 32 bits of seconds: the last time it can show. */
const PL031_LAST_SECOND = 0xffff_ffff;

/** Nanoseconds since the Unix epoch for `text`, or an error naming the option. */
export function parseRtcBase(text: string): bigint | string {
  const bad = `--rtc-base "${text}": not an ISO 8601 UTC time like 2021-03-04T05:06:07Z or 2021-03-04`;
  const m = ISO_8601.exec(text);
  if (!m) return bad;
  const ms = Date.parse(m[4] === undefined ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(ms)) return bad;
  // Date.parse rolls 2021-02-30 over to March: refuse what does not round-trip.
  const day = new Date(ms - zoneOffsetMs(m[8]));
  if (
    day.getUTCFullYear() !== Number(m[1]) ||
    day.getUTCMonth() + 1 !== Number(m[2]) ||
    day.getUTCDate() !== Number(m[3])
  )
    return bad;
  if (ms < 0 || ms / 1000 > PL031_LAST_SECOND)
    return `--rtc-base "${text}": outside what the PL031 can show (1970-01-01 to 2106-02-07)`;
  const fraction = (m[7] ?? "").padEnd(9, "0");
  return BigInt(Math.floor(ms / 1000)) * 1_000_000_000n + BigInt(fraction);
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
}

/** The RTC's time base now: the fixed base if given, else the front end's clock. */
export function rtcTimeBase(fixed: bigint | undefined, now: () => number = Date.now): bigint {
  return fixed ?? BigInt(now()) * 1_000_000n;
}
