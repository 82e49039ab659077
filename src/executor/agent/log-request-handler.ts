/**
 * Answers the controller's `request` frames for log files (docs/api.md §5) with `reply` frames.
 * Workloads are found by instance id in the data dir, so logs stay readable after the
 * controller has forgotten a finished workload (until they are cleaned by age).
 */
import type { ReplyMessage, RequestMessage } from '../../api/channel-protocol.ts';
import { isIdentifier } from '../../common/ids.ts';
import { downloadLogFile, listLogFiles, LogRequestError, readLogChunk, readLogFile } from '../logs/log-files.ts';
import type { WorkloadStore } from '../state/workload-store.ts';

export async function answerLogRequest(request: RequestMessage, store: WorkloadStore): Promise<ReplyMessage> {
  const reply = (data: unknown): ReplyMessage => ({ type: 'reply', requestId: request.requestId, ok: true, data });
  const refuse = (error: string, status: number): ReplyMessage => ({ type: 'reply', requestId: request.requestId, ok: false, error, status });
  try {
    const target = request.target;
    if (!target || typeof target.instanceId !== 'string' || !isIdentifier(target.instanceId)) return refuse('a valid target instanceId is required', 400);
    const logDir = await store.findLogDir(target.instanceId);
    if (!logDir) return refuse(`no workload ${target.instanceId} on this executor`, 404);
    switch (request.action) {
      case 'logs.list':
        return reply(await listLogFiles(logDir, store.baseDir));
      case 'logs.read':
        return reply(await readLogFile(logDir, request.fileName, Number(request.offset ?? -1), Number(request.length ?? -1), store.baseDir));
      case 'logs.chunk':
        return reply(await readLogChunk(logDir, request.fileName, Number(request.offset), Number(request.length), store.baseDir));
      case 'logs.download':
        return reply(await downloadLogFile(logDir, request.fileName, store.baseDir));
      default:
        return refuse(`unknown request action ${JSON.stringify((request as { action?: unknown }).action)}`, 400);
    }
  } catch (error) {
    if (error instanceof LogRequestError) return refuse(error.message, error.status);
    return refuse(`cannot serve the request: ${(error as Error).message}`, 400);
  }
}
