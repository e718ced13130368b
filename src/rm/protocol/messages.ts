// Builders for whole messages that both sides construct: replies (error + payload),
// and the notification payloads, so the RM and tests encode them the same way.

import { concatBytes } from "./lists.js";
import { ReplyHeader } from "./payloads.js";

/**
 * A reply payload: the u32 RM error, then the data (the public RM's rm_reply_error:
 * the call's data on OK; on an error, only the few calls with error data give any).
 */
export function replyPayload(error: number, data?: Uint8Array): Uint8Array {
  const head = ReplyHeader.encode({ error: error >>> 0 });
  return data && data.length > 0 ? concatBytes(head, data) : head;
}

/** Splits a reply payload into its error and data; undefined if shorter than 4 bytes. */
export function parseReply(payload: Uint8Array): { error: number; data: Uint8Array } | undefined {
  const head = ReplyHeader.decode(payload);
  return head ? { error: head.error, data: payload.subarray(ReplyHeader.size) } : undefined;
}
