/**
 * The leader's live model of local services and their live instances. Services are written to
 * the store first and applied here after the write succeeded; reads are served from here. The
 * instance half is the instance book shared with applications (instances/instance-book.ts);
 * records carry the serviceId in `appId` and the service name in `appName`.
 *
 * Every stored state change of a service — repeats included, as Drove's state machine emits one
 * per step — is announced as LOCAL_SERVICE_STATE_CHANGE; instance changes as
 * LOCAL_SERVICE_INSTANCE_STATE_CHANGE. Both are stream-only events (docs/api.md §4.8.4).
 */
import type { InstanceRecord } from '../../api/app-types.ts';
import type { DroveEventType } from '../../api/cluster-types.ts';
import type { LocalServiceRecord } from '../../api/localservice-types.ts';
import { isActiveLocalService } from '../cluster/workload-counts.ts';
import type { Store } from '../store/store.ts';
import { InstanceBook, LIVE_INSTANCE_STATES, type InstanceBookDeps } from '../instances/instance-book.ts';
import { serviceEventMetadata, serviceInstanceEventMetadata } from './local-service-events.ts';

export interface LocalServiceModelDeps extends InstanceBookDeps {
  store: Store;
}

export class LocalServiceModel extends InstanceBook {
  private readonly services = new Map<string, LocalServiceRecord>();
  /** Services counted as active by the cluster summary, kept with every service write. */
  private readonly activeServices = new Set<string>();
  private readonly store: Store;

  constructor(deps: LocalServiceModelDeps) {
    super(deps);
    this.store = deps.store;
  }

  async load(): Promise<void> {
    this.services.clear();
    this.activeServices.clear();
    for (const service of await this.store.listLocalServices()) this.setService(service);
    this.loadInstances(await this.store.listLocalServiceInstances({ states: LIVE_INSTANCE_STATES }));
  }

  service(serviceId: string): LocalServiceRecord | undefined {
    return this.services.get(serviceId);
  }

  /** All services in serviceId order. */
  listServices(): LocalServiceRecord[] {
    return [...this.services.values()].sort((a, b) => (a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : 0));
  }

  /** How many services there are, and how many of them the cluster summary counts as active. */
  serviceCounts(): { total: number; active: number } {
    return { total: this.services.size, active: this.activeServices.size };
  }

  async createService(record: LocalServiceRecord): Promise<void> {
    await this.store.insertLocalService(structuredClone(record));
    this.setService(record);
    this.emitEvent('LOCAL_SERVICE_STATE_CHANGE', serviceEventMetadata(record));
  }

  /** Persists a service change; every save is a state-machine step and is announced. */
  async saveService(record: LocalServiceRecord): Promise<LocalServiceRecord> {
    record.updated = this.deps.clock.now();
    await this.store.updateLocalService(structuredClone(record));
    this.setService(record);
    this.emitEvent('LOCAL_SERVICE_STATE_CHANGE', serviceEventMetadata(record));
    return record;
  }

  /** DESTROYED announced, then the service and all its instance records deleted: the id is free again. */
  async destroyService(serviceId: string): Promise<void> {
    const current = this.services.get(serviceId);
    if (!current) return;
    await this.idle();
    await this.store.deleteLocalService(serviceId);
    this.services.delete(serviceId);
    this.activeServices.delete(serviceId);
    this.dropOwner(serviceId);
    this.emitEvent('LOCAL_SERVICE_STATE_CHANGE', serviceEventMetadata({ ...current, state: 'DESTROYED', updated: this.deps.clock.now() }));
  }

  private setService(record: LocalServiceRecord): void {
    this.services.set(record.serviceId, record);
    if (isActiveLocalService(record)) this.activeServices.add(record.serviceId);
    else this.activeServices.delete(record.serviceId);
  }

  protected persistInstances(records: InstanceRecord[]): Promise<void> {
    return this.store.upsertLocalServiceInstances(records);
  }

  protected ownerExists(serviceId: string): boolean {
    return this.services.has(serviceId);
  }

  protected instanceEvent(record: InstanceRecord, executorHost: string | undefined): [DroveEventType, Record<string, string | number>] {
    return ['LOCAL_SERVICE_INSTANCE_STATE_CHANGE', serviceInstanceEventMetadata(record, executorHost)];
  }
}
