/**
 * A container's usage from the engine's one-shot stats (`GET /containers/{id}/stats?stream=false`,
 * the same shape from Docker and Podman): cumulative CPU, memory now and its limit, and the
 * cumulative network and block I/O bytes. The kernel counts OOM kills in the container's cgroup,
 * which engines do not pass on here; a container killed for its memory says so in its exit
 * (`OOMKilled`), so `oomKills` stays 0.
 */
import type Docker from 'dockerode';
import type { DriverUsage } from '../driver.ts';

interface EngineStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op?: string; value?: number }[] | null };
}

export async function containerUsage(container: Docker.Container): Promise<DriverUsage | undefined> {
  const stats = (await container.stats({ stream: false })) as EngineStats;
  const memory = stats.memory_stats;
  if (!stats.cpu_stats || !memory) return undefined;
  // As `docker stats` shows it: the page cache the kernel can drop is not the workload's.
  const cache = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? 0;
  let rx = 0;
  let tx = 0;
  for (const net of Object.values(stats.networks ?? {})) {
    rx += net.rx_bytes ?? 0;
    tx += net.tx_bytes ?? 0;
  }
  let read = 0;
  let write = 0;
  for (const entry of stats.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = entry.op?.toLowerCase();
    if (op === 'read') read += entry.value ?? 0;
    else if (op === 'write') write += entry.value ?? 0;
  }
  return {
    cpuSeconds: (stats.cpu_stats.cpu_usage?.total_usage ?? 0) / 1e9,
    memoryBytes: Math.max(0, (memory.usage ?? 0) - cache),
    memoryLimitBytes: memory.limit ?? 0,
    oomKills: 0,
    networkRxBytes: rx,
    networkTxBytes: tx,
    blockReadBytes: read,
    blockWriteBytes: write,
  };
}
