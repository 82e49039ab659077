/**
 * Host ports for app instances: one free port per exposed port. A port is "free" when a
 * listener can bind it right now (asked of the OS with port 0); ports handed out are reserved
 * until the instance's stop hook releases them, so two instances starting together never share
 * one even before either has bound it.
 */
import net from 'node:net';

function probeFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '0.0.0.0', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const VIRTUAL_FIRST = 30_000;
const VIRTUAL_LAST = 60_999;

export class PortAllocator {
  private readonly reserved = new Set<number>();
  private nextVirtual = VIRTUAL_FIRST;

  /** `count` distinct free ports, reserved. */
  async allocate(count: number): Promise<number[]> {
    const ports: number[] = [];
    let attempts = 0;
    while (ports.length < count) {
      if (++attempts > count * 50) throw new Error(`could not find ${count} free host port(s)`);
      const port = await probeFreePort();
      if (this.reserved.has(port) || ports.includes(port)) continue;
      ports.push(port);
      this.reserved.add(port);
    }
    return ports;
  }

  /**
   * Ports for simulated workloads (mock driver): distinct numbers, never bound, so thousands of
   * simulated instances cost no sockets.
   */
  allocateVirtual(count: number): number[] {
    const ports: number[] = [];
    for (let tries = 0; ports.length < count; tries++) {
      if (tries > VIRTUAL_LAST - VIRTUAL_FIRST) throw new Error(`no free simulated port left for ${count} port(s)`);
      const port = this.nextVirtual;
      this.nextVirtual = port >= VIRTUAL_LAST ? VIRTUAL_FIRST : port + 1;
      if (this.reserved.has(port)) continue;
      this.reserved.add(port);
      ports.push(port);
    }
    return ports;
  }

  /** Re-reserves ports of workloads restored after a restart. */
  reserve(ports: number[]): void {
    for (const port of ports) this.reserved.add(port);
  }

  release(ports: number[]): void {
    for (const port of ports) this.reserved.delete(port);
  }

  get size(): number {
    return this.reserved.size;
  }
}
