// The CPU `gunyah exec` runs programs on: the gunyah-ts A64 core, in user mode.

import { createCpu } from "../arch/arm64/index.js";
import type { CpuFactory } from "./features.js";

export const defaultCpuFactory: CpuFactory = (options) => createCpu(options);
