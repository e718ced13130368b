// What a call handler returns: the RM error and, on OK, the reply data; an error reply
// carries data only for the calls that define it (HypErrorData).

import { HypErrorData, type RmError } from "./protocol/index.js";

export interface Reply {
  readonly error: RmError;
  readonly data?: Uint8Array;
}

export const okReply = (data?: Uint8Array): Reply => (data ? { error: 0, data } : { error: 0 });
export const errorReply = (error: RmError): Reply => ({ error });

/** An error reply carrying the hypervisor's error behind it (HypErrorData, 4 bytes). */
export const errorReplyWithHypError = (error: RmError, hypError: number): Reply => ({
  error,
  data: HypErrorData.encode({ hypError }),
});
