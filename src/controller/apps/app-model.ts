/**
 * The leader's live model of applications and their live instances (every instance not yet
 * STOPPED or LOST). Applications are written to the store first and applied here after the
 * write succeeded; reads are served from here. The instance half is the shared instance book
 * (instances/instance-book.ts): batched writes, waits, stop requests, per-executor counts.
 */
import { ACTIVE_APP_STATES, type AppRecord, type InstanceRecord } from '../../api/app-types.ts';
import type { DroveEventType } from '../../api/cluster-types.ts';
import type { Store } from '../store/store.ts';
import { InstanceBook, LIVE_INSTANCE_STATES, type InstanceBookDeps } from '../instances/instance-book.ts';
import { appEventMetadata, instanceEventMetadata } from './app-events.ts';

export { COMING_UP_STATES, LIVE_INSTANCE_STATES, TERMINAL_INSTANCE_STATES } from '../instances/instance-book.ts';
export type { InstanceBookEvents as AppModelEvents } from '../instances/instance-book.ts';

export interface AppModelDeps extends InstanceBookDeps {
  store: Store;
}

export class AppModel extends InstanceBook {
  private readonly apps = new Map<string, AppRecord>();
  /** Apps in an active state, kept with every app write (the cluster summary's count). */
  private readonly activeApps = new Set<string>();
  private readonly store: Store;

  constructor(deps: AppModelDeps) {
    super(deps);
    this.store = deps.store;
  }

  /** Loads apps and live instances from the store and re-claims their resources. */
  async load(): Promise<void> {
    this.apps.clear();
    this.activeApps.clear();
    for (const app of await this.store.listApps()) this.setApp(app);
    this.loadInstances(await this.store.listInstances({ states: LIVE_INSTANCE_STATES }));
  }

  app(appId: string): AppRecord | undefined {
    return this.apps.get(appId);
  }

  /** All apps in appId order. */
  listApps(): AppRecord[] {
    return [...this.apps.values()].sort((a, b) => (a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0));
  }

  /** How many apps there are, and how many of them are in an active state. */
  appCounts(): { total: number; active: number } {
    return { total: this.apps.size, active: this.activeApps.size };
  }

  async createApp(record: AppRecord): Promise<void> {
    await this.store.insertApp(structuredClone(record));
    this.setApp(record);
    this.emitEvent('APP_STATE_CHANGE', appEventMetadata(record));
  }

  /** Persists an app change; emits APP_STATE_CHANGE when its state changed. */
  async saveApp(record: AppRecord): Promise<void> {
    const previous = this.apps.get(record.appId);
    record.updated = this.deps.clock.now();
    await this.store.updateApp(structuredClone(record));
    this.setApp(record);
    if (!previous || previous.state !== record.state) this.emitEvent('APP_STATE_CHANGE', appEventMetadata(record));
  }

  /** Deletes the app and all its instance records (DESTROY). */
  async deleteApp(appId: string): Promise<void> {
    await this.idle();
    await this.store.deleteApp(appId);
    this.apps.delete(appId);
    this.activeApps.delete(appId);
    this.dropOwner(appId);
  }

  private setApp(record: AppRecord): void {
    this.apps.set(record.appId, record);
    if (ACTIVE_APP_STATES.has(record.state)) this.activeApps.add(record.appId);
    else this.activeApps.delete(record.appId);
  }

  protected persistInstances(records: InstanceRecord[]): Promise<void> {
    return this.store.upsertInstances(records);
  }

  protected ownerExists(appId: string): boolean {
    return this.apps.has(appId);
  }

  protected instanceEvent(record: InstanceRecord, executorHost: string | undefined): [DroveEventType, Record<string, string | number>] {
    return ['INSTANCE_STATE_CHANGE', instanceEventMetadata(record, executorHost)];
  }
}
