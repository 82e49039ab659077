/**
 * The one place operation records are built, written and announced, whatever their kind:
 * records go to the store through one group commit (a burst of accepted, progressing and
 * finished operations costs one transaction), and every state change is announced with the
 * same OPERATION_STATE_CHANGE metadata (docs/operations.md, "Events").
 */
import type { OperationRecord } from '../../api/operation-types.ts';
import type { Clock } from '../../common/clock.ts';
import { newOperationId } from '../../common/ids.ts';
import type { Logger } from '../../common/logger.ts';
import type { EventBus } from '../events/event-bus.ts';
import { GroupCommit } from '../store/group-commit.ts';
import type { Store } from '../store/store.ts';
import { newOperationRecord } from './operation-record.ts';
import type { OperationRequest } from './operations-port.ts';

export class OperationJournal {
  private readonly writes: GroupCommit<OperationRecord>;
  private readonly events: EventBus;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(deps: { store: Store; events: EventBus; clock: Clock; logger: Logger }) {
    this.events = deps.events;
    this.logger = deps.logger;
    this.clock = deps.clock;
    this.writes = new GroupCommit((records) => deps.store.saveOperations(records));
  }

  /** A new QUEUED record with a fresh id (not yet written). */
  build(request: OperationRequest): OperationRecord {
    return newOperationRecord({ ...request, operationId: request.operationId ?? newOperationId(), now: this.clock.now() });
  }

  /**
   * Writes a snapshot of the record; resolves once it (or a later version) is committed.
   * Versions of one record reach the store in order (a batch keeps the last of each).
   */
  save(record: OperationRecord): Promise<void> {
    return this.writes.write(structuredClone(record));
  }

  /** Announces the record's current state (never throws; a lost event is logged). */
  announce(record: OperationRecord): void {
    this.events.emit('OPERATION_STATE_CHANGE', stateChangeMetadata(record))
      .catch((error: unknown) => this.logger.warn({ err: error, operationId: record.operationId }, 'could not record OPERATION_STATE_CHANGE'));
  }

  /** Resolves when every write queued so far has settled (shutdown, tests). */
  settle(): Promise<void> {
    return this.writes.drain();
  }
}

/** OPERATION_STATE_CHANGE metadata, the same keys for every kind. */
export function stateChangeMetadata(record: OperationRecord): Record<string, string | number> {
  const metadata: Record<string, string | number> = {
    OPERATION_ID: record.operationId,
    OPERATION_TYPE: record.type,
    CURRENT_STATE: record.state,
    TARGET_KIND: record.target.kind,
    CREATED_BY: record.createdBy,
    CREATED: record.created,
  };
  switch (record.target.kind) {
    case 'app':
      metadata.APP_ID = record.target.appId;
      break;
    case 'task':
      metadata.APP_NAME = record.target.sourceAppName;
      metadata.TASK_ID = record.target.taskId;
      break;
    case 'localservice':
      metadata.LOCAL_SERVICE_ID = record.target.serviceId;
      break;
  }
  if (record.abortMode) metadata.ABORT_MODE = record.abortMode;
  return metadata;
}
