// What a call handler returns: the RM error and, on OK, the reply data.

import type { RmError } from "./protocol/index.js";

export interface Reply {
  readonly error: RmError;
  readonly data?: Uint8Array;
}

export const okReply = (data?: Uint8Array): Reply => (data ? { error: 0, data } : { error: 0 });
export const errorReply = (error: RmError): Reply => ({ error });
