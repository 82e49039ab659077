/**
 * The API calls a cluster helper makes for one kind of workload — applications
 * (`/apis/v1/applications`) or local services (`/apis/v1/localservices`): submit an operation,
 * read and await operations, read a summary and the instances.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- API replies are checked field by field */
import { expect } from 'vitest';
import type { ApiClient } from './api-client.ts';
import { waitForOperationState } from './operation-wait.ts';

export interface WorkloadApi<Ids> {
  /** Submits an operation; expects SUCCESS and returns `data` (the workload's id and the operationId). */
  submit(body: unknown): Promise<Ids>;
  operation(operationId: string): Promise<Record<string, any>>;
  waitOperation(operationId: string, state: string | string[], timeoutMs?: number): Promise<Record<string, any>>;
  summary(id: string): Promise<Record<string, any>>;
  instances(id: string, state?: string): Promise<Record<string, any>[]>;
}

export interface WorkloadApiOptions {
  /** `/apis/v1/applications` or `/apis/v1/localservices`. */
  collection: string;
  /** How long `waitOperation` waits unless told. */
  waitTimeoutMs: number;
  waitIntervalMs: number;
}

/** `api` is asked at every call: a cluster's client changes when its controller is restarted. */
export function workloadApi<Ids>(api: () => ApiClient, options: WorkloadApiOptions): WorkloadApi<Ids> {
  const calls: WorkloadApi<Ids> = {
    async submit(body) {
      const { body: reply } = await api().post(`${options.collection}/operations`, body);
      expect(reply, JSON.stringify(reply)).toMatchObject({ status: 'SUCCESS' });
      return reply.data;
    },
    async operation(operationId) {
      return (await api().get(`/apis/v1/operations/${operationId}`)).body.data;
    },
    async waitOperation(operationId, state, timeoutMs = options.waitTimeoutMs) {
      return waitForOperationState(operationId, state, () => calls.operation(operationId), { timeoutMs, intervalMs: options.waitIntervalMs });
    },
    async summary(id) {
      return (await api().get(`${options.collection}/${id}`)).body.data;
    },
    async instances(id, state) {
      return (await api().get(`${options.collection}/${id}/instances${state ? `?state=${state}` : ''}`)).body.data ?? [];
    },
  };
  return calls;
}
