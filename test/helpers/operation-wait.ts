/**
 * Waiting for an operation to reach a state, as every cluster helper does it: poll its record,
 * and on timeout say which state was awaited and what the record last said.
 */
import { waitFor } from './wait-for.ts';

export interface OperationWaitOptions {
  timeoutMs: number;
  intervalMs: number;
}

/** Polls `read` until the operation is in one of `states`; the timeout message carries its last record. */
export async function waitForOperationState(
  operationId: string,
  states: string | string[],
  read: () => Promise<Record<string, unknown> | undefined>,
  options: OperationWaitOptions,
): Promise<Record<string, unknown>> {
  const wanted = Array.isArray(states) ? states : [states];
  let last: Record<string, unknown> | undefined;
  try {
    return await waitFor(async () => {
      last = await read();
      return wanted.includes(last?.state as string) ? last : undefined;
    }, { ...options, message: `operation ${operationId} to be ${wanted.join('|')}` });
  } catch (error) {
    throw new Error(`${(error as Error).message}\nlast record: ${JSON.stringify(last, null, 1)}`, { cause: error });
  }
}
