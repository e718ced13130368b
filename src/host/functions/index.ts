// The built-in function types, registered by id and loaded on first use.

import type { VmContext } from "../vm-context.js";
import { ioeventfdFunction } from "./ioeventfd.js";
import { irqfdFunction } from "./irqfd.js";
import { FunctionTypeId, FunctionTypeRegistry } from "./registry.js";
import { vcpuFunction } from "./vcpu-function.js";

export function defaultFunctionTypes(): FunctionTypeRegistry<VmContext> {
  const registry = new FunctionTypeRegistry<VmContext>();
  registry.register(FunctionTypeId.VCPU, vcpuFunction);
  registry.register(FunctionTypeId.IRQFD, irqfdFunction);
  registry.register(FunctionTypeId.IOEVENTFD, ioeventfdFunction);
  return registry;
}
