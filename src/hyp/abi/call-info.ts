// Gunyah's names for the hypercalls this hypervisor implements, with the names of
// their inputs (X1 onwards) and outputs (X1 onwards after the error in X0), as the
// hypervisor's `.hvc` definitions give them (quic/gunyah-hypervisor, and the RM's
// generated guest_interface.c that is built from them). The tracer names and
// decodes every call with this table.

/** call number -> [name, inputs, outputs] */
const CALLS: Readonly<Record<number, readonly [string, readonly string[], readonly string[]]>> = {
  0x00: ["hypervisor_identify", [], ["hyp_api_info", "api_flags_0", "api_flags_1", "api_flags_2"]],
  0x01: ["partition_create_partition", ["src_partition", "cspace"], ["new_cap"]],
  0x02: ["partition_create_cspace", ["src_partition", "cspace"], ["new_cap"]],
  0x03: ["partition_create_addrspace", ["src_partition", "cspace"], ["new_cap"]],
  0x04: ["partition_create_memextent", ["src_partition", "cspace"], ["new_cap"]],
  0x05: ["partition_create_thread", ["src_partition", "cspace"], ["new_cap"]],
  0x06: ["partition_create_doorbell", ["src_partition", "cspace"], ["new_cap"]],
  0x07: ["partition_create_msgqueue", ["src_partition", "cspace"], ["new_cap"]],
  0x0a: ["partition_create_vic", ["src_partition", "cspace"], ["new_cap"]],
  0x0b: ["partition_create_vpm_group", ["src_partition", "cspace"], ["new_cap"]],
  0x0c: ["object_activate", ["cap"], []],
  0x0d: ["object_activate_from", ["cspace", "cap"], []],
  0x0e: ["object_reset", ["cap"], []],
  0x0f: ["object_reset_from", ["cspace", "cap"], []],
  0x10: ["doorbell_bind_virq", ["doorbell", "vic", "virq"], []],
  0x11: ["doorbell_unbind_virq", ["doorbell"], []],
  0x12: ["doorbell_send", ["doorbell", "new_flags"], ["old_flags"]],
  0x13: ["doorbell_receive", ["doorbell", "clear_flags"], ["old_flags"]],
  0x14: ["doorbell_reset", ["doorbell"], []],
  0x15: ["doorbell_mask", ["doorbell", "enable_mask", "ack_mask"], []],
  0x17: ["msgqueue_bind_send_virq", ["msgqueue", "vic", "virq"], []],
  0x18: ["msgqueue_bind_receive_virq", ["msgqueue", "vic", "virq"], []],
  0x19: ["msgqueue_unbind_send_virq", ["msgqueue"], []],
  0x1a: ["msgqueue_unbind_receive_virq", ["msgqueue"], []],
  0x1b: ["msgqueue_send", ["msgqueue", "size", "data", "send_flags"], ["not_full"]],
  0x1c: ["msgqueue_receive", ["msgqueue", "buffer", "buf_size"], ["size", "not_empty"]],
  0x1d: ["msgqueue_flush", ["msgqueue"], []],
  0x1f: ["msgqueue_configure_send", ["msgqueue", "not_full_thres", "not_full_holdoff"], []],
  0x20: ["msgqueue_configure_receive", ["msgqueue", "not_empty_thres", "not_empty_holdoff"], []],
  0x21: ["msgqueue_configure", ["msgqueue", "create_info"], []],
  0x22: ["cspace_delete_cap_from", ["cspace", "cap"], []],
  0x23: [
    "cspace_copy_cap_from",
    ["src_cspace", "src_cap", "dest_cspace", "rights_mask"],
    ["new_cap"],
  ],
  0x24: ["cspace_revoke_cap_from", ["src_cspace", "src_cap"], []],
  0x25: ["cspace_configure", ["cspace", "max_caps"], []],
  0x28: ["vic_configure", ["vic", "max_vcpus", "max_virqs", "vic_options", "max_msis"], []],
  0x29: ["vic_attach_vcpu", ["vic", "vcpu", "index"], []],
  0x2a: ["addrspace_attach_thread", ["addrspace", "thread"], []],
  0x2b: [
    "addrspace_map",
    ["addrspace", "memextent", "vbase", "map_attrs", "map_flags", "offset", "size"],
    [],
  ],
  0x2c: ["addrspace_unmap", ["addrspace", "memextent", "vbase", "map_flags", "offset", "size"], []],
  0x2d: [
    "addrspace_update_access",
    ["addrspace", "memextent", "vbase", "access_attrs", "map_flags", "offset", "size"],
    [],
  ],
  0x2e: ["addrspace_configure", ["addrspace", "vmid"], []],
  0x30: ["memextent_modify", ["memextent", "flags", "offset", "size"], []],
  0x31: ["memextent_configure", ["memextent", "phys_base", "size", "attributes"], []],
  0x32: [
    "memextent_configure_derive",
    ["memextent", "parent_memextent", "offset", "size", "attributes"],
    [],
  ],
  0x34: ["vcpu_configure", ["cap_id", "vcpu_options"], []],
  0x38: ["vcpu_poweron", ["cap_id", "entry_point", "context", "flags"], []],
  0x39: ["vcpu_poweroff", ["cap_id", "flags"], []],
  0x3a: ["vcpu_kill", ["cap_id"], []],
  0x3b: ["scheduler_yield", ["control", "arg1"], []],
  0x3c: ["vpm_group_attach_vcpu", ["vpm_group", "vcpu", "index"], []],
  0x3d: ["vcpu_set_affinity", ["cap_id", "affinity"], []],
  0x3e: ["cspace_attach_thread", ["cspace", "thread"], []],
  0x43: ["vpm_group_bind_virq", ["vpm_group", "vic", "virq"], []],
  0x44: ["vpm_group_unbind_virq", ["vpm_group"], []],
  0x45: ["vpm_group_get_state", ["vpm_group"], ["vpm_state"]],
  0x46: ["vcpu_set_priority", ["cap_id", "priority"], []],
  0x47: ["vcpu_set_timeslice", ["cap_id", "timeslice"], []],
  0x57: ["prng_get_entropy", ["num_bytes"], ["data0", "data1", "data2", "data3"]],
  0x59: ["cspace_revoke_caps_from", ["src_cspace", "master_cap"], []],
  0x5a: [
    "addrspace_lookup",
    ["addrspace", "memextent", "vbase", "size"],
    ["offset", "size", "map_attrs"],
  ],
  0x5c: ["vcpu_bind_virq", ["vcpu", "vic", "virq", "virq_type"], []],
  0x5d: ["vcpu_unbind_virq", ["vcpu", "virq_type"], []],
  0x60: ["addrspace_configure_vmmio", ["addrspace", "vbase", "size", "op"], []],
  0x61: ["memextent_donate", ["options", "from", "to", "offset", "size"], []],
  0x64: ["vcpu_register_write", ["vcpu", "register_set", "register_index", "value"], []],
  0x65: [
    "vcpu_run",
    ["cap_id", "resume_data_0", "resume_data_1", "resume_data_2"],
    ["vcpu_state", "state_data_0", "state_data_1", "state_data_2"],
  ],
  0x67: [
    "vgic_set_mpidr_mapping",
    ["vic", "mask", "aff0_shift", "aff1_shift", "aff2_shift", "aff3_shift", "mt"],
    [],
  ],
  0x68: [
    "vcpu_run_check",
    ["cap_id"],
    ["vcpu_state", "state_data_0", "state_data_1", "state_data_2"],
  ],
};

export interface CallInfo {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

const INFO = new Map<number, CallInfo>(
  Object.entries(CALLS).map(([n, [name, inputs, outputs]]) => [
    Number(n),
    { name, inputs, outputs },
  ]),
);

/** The call's Gunyah name and register names, or undefined for an unknown number. */
export function callInfo(callNumber: number): CallInfo | undefined {
  return INFO.get(callNumber);
}

/** Inputs and outputs that are counts, sizes or indices read better in decimal. */
const DECIMAL = /size|num|count|max_|index|virq$|vmid|affinity|priority|thres|holdoff/;

/** Formats one register for a trace: decimal for counts and sizes, hex otherwise. */
export function formatRegister(name: string, value: bigint): string | number {
  if (DECIMAL.test(name) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  return `0x${value.toString(16)}`;
}
