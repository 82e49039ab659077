/**
 * The one message `corral dev` sends its executors over their IPC channel: "I am stopping".
 * From then on an executor stops its workloads when it exits, whichever comes first — the
 * SIGTERM `corral dev` sends once its controller is closed, or the IPC channel closing because
 * `corral dev` died half-way through its shutdown. Without it the two paths raced and a group
 * signal could leave workloads running (src/cli/executor-command.ts).
 */
export const DEV_STOPPING = { type: 'corral-dev-stopping' } as const;

/** True for the DEV_STOPPING message. */
export function isDevStopping(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === DEV_STOPPING.type;
}
