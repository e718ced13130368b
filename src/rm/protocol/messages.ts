// Builders for whole messages that both sides construct: replies (error + payload),
// and the notification payloads, so the RM and tests encode them the same way.

import { concatBytes } from "./lists.js";
import { ReplyHeader } from "./payloads.js";
import { RmError } from "./errors.js";

/** A reply payload: the u32 RM error, then (only on OK) the call's data. */
export function replyPayload(error: number, data?: Uint8Array): Uint8Array {
  const head = ReplyHeader.encode({ error: error >>> 0 });
  return error === RmError.OK && data ? concatBytes(head, data) : head;
}

/** Splits a reply payload into its error and data; undefined if shorter than 4 bytes. */
export function parseReply(payload: Uint8Array): { error: number; data: Uint8Array } | undefined {
  const head = ReplyHeader.decode(payload);
  return head ? { error: head.error, data: payload.subarray(ReplyHeader.size) } : undefined;
}
