// Hypervisor resources the RM hands the host for a VM (VM_GET_HYP_RESOURCES), and
// resource tickets: how users (vCPUs, irqfds, the demand pager) claim them by
// (type, label) (Linux v17 gunyah_vm_add_resource_ticket; gunyah-abi.md section 5:
// one owner per (type, label), a second is EEXIST; an owner copes with being populated
// more than once; everything is unpopulated on teardown).

import { ok } from "../lib/result.js";
import { RateLimitedLog } from "../lib/log.js";
import { NO_VIRQ } from "../rm/protocol/index.js";
import { fail, type HostResult } from "./errors.js";
import type { RawHypResource } from "./rm/calls.js";

export interface HostResource {
  readonly type: number;
  readonly label: number;
  readonly capId: bigint;
  readonly partnerVmid: number;
  readonly base: bigint;
  readonly size: bigint;
  /** The resource's interrupt (a GIC INTID), if it has one that could be translated. */
  readonly virq: number | undefined;
  /** Why the interrupt was dropped, if the RM named one the host cannot use. */
  readonly virqError: string | undefined;
}

const SPI_FIRST = 32;
const SPI_LAST = 1019;
const ESPI_FIRST = 4096;
const ESPI_LAST = 5119;

/**
 * The interrupt of a resource as the host can use it: an SPI (INTID 32-1019) or an
 * extended SPI (4096-5119); 0 and NO_VIRQ mean "none" (gunyah-abi.md section 2).
 */
export function translateVirq(virq: number): HostResult<number | undefined> {
  if (virq === 0 || virq >>> 0 === NO_VIRQ) return ok(undefined);
  if ((virq >= SPI_FIRST && virq <= SPI_LAST) || (virq >= ESPI_FIRST && virq <= ESPI_LAST)) {
    return ok(virq);
  }
  return fail("EINVAL", `interrupt ${virq} is neither an SPI nor an extended SPI`);
}

const log = new RateLimitedLog("host/resources");

/**
 * Converts an RM entry. A resource whose interrupt cannot be translated is still
 * returned, without the interrupt, and the failure is reported (review demand).
 */
export function toHostResource(raw: RawHypResource): HostResource {
  const irq = translateVirq(raw.virq);
  if (!irq.ok) {
    log.warn(`resource type ${raw.type} label ${raw.label}: ${irq.error.message}`);
  }
  return {
    type: raw.type,
    label: raw.label,
    capId: raw.capId,
    partnerVmid: raw.partnerVmid,
    base: raw.base,
    size: raw.size,
    virq: irq.ok ? irq.value : undefined,
    virqError: irq.ok ? undefined : irq.error.message,
  };
}

export interface ResourceTicket {
  readonly type: number;
  readonly label: number;
  /** Takes the resource; false leaves it unclaimed (e.g. the owner already has one). */
  populate(resource: HostResource): boolean;
  /** Gives it back (teardown, or the ticket is removed). */
  unpopulate(resource: HostResource): void;
}

interface TicketEntry {
  readonly ticket: ResourceTicket;
  readonly resources: HostResource[];
}

const key = (type: number, label: number) => `${type}:${label}`;

/** A VM's tickets and resources. */
export class TicketRegistry {
  private readonly tickets = new Map<string, TicketEntry>();
  /** Resources no ticket has taken (yet). */
  private unclaimed: HostResource[] = [];

  /** Registers a ticket and populates it with any matching resource already known. */
  add(ticket: ResourceTicket): HostResult<void> {
    const k = key(ticket.type, ticket.label);
    if (this.tickets.has(k)) {
      return fail(
        "EEXIST",
        `resource (type ${ticket.type}, label ${ticket.label}) already has an owner`,
      );
    }
    const entry: TicketEntry = { ticket, resources: [] };
    this.tickets.set(k, entry);
    this.unclaimed = this.unclaimed.filter((r) => !this.offer(entry, r));
    return ok(undefined);
  }

  /** Unregisters a ticket; its resources are unpopulated and return to the pool. */
  remove(ticket: ResourceTicket): void {
    const k = key(ticket.type, ticket.label);
    const entry = this.tickets.get(k);
    if (!entry || entry.ticket !== ticket) return;
    this.tickets.delete(k);
    for (const r of entry.resources.splice(0)) {
      ticket.unpopulate(r);
      this.unclaimed.push(r);
    }
  }

  /** A new resource from the RM: given to its ticket if there is one. */
  addResource(resource: HostResource): void {
    const entry = this.tickets.get(key(resource.type, resource.label));
    if (!entry || !this.offer(entry, resource)) this.unclaimed.push(resource);
  }

  /** Teardown: unpopulates every ticket and forgets every resource. */
  removeAllResources(): void {
    for (const entry of this.tickets.values()) {
      for (const r of entry.resources.splice(0)) entry.ticket.unpopulate(r);
    }
    this.unclaimed = [];
  }

  /** The resources a ticket currently holds. */
  resourcesOf(type: number, label: number): readonly HostResource[] {
    return this.tickets.get(key(type, label))?.resources ?? [];
  }

  get unclaimedCount(): number {
    return this.unclaimed.length;
  }

  get ticketCount(): number {
    return this.tickets.size;
  }

  private offer(entry: TicketEntry, resource: HostResource): boolean {
    if (resource.type !== entry.ticket.type || resource.label !== entry.ticket.label) return false;
    if (!entry.ticket.populate(resource)) return false;
    entry.resources.push(resource);
    return true;
  }
}
