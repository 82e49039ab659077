/**
 * Where the Docker Engine API is: `DOCKER_HOST` (unix socket or tcp), else
 * `/var/run/docker.sock`, else Podman's `/run/podman/podman.sock` (which answers the same API).
 */
import { existsSync } from 'node:fs';
import Docker from 'dockerode';

export const DOCKER_SOCKET = '/var/run/docker.sock';
export const PODMAN_SOCKET = '/run/podman/podman.sock';

export interface DockerEndpoint {
  /** Human-readable location, for logs and error messages. */
  description: string;
  /**
   * dockerode options; `undefined` means "let docker-modem read DOCKER_HOST itself", which
   * also honours DOCKER_TLS_VERIFY / DOCKER_CERT_PATH and ssh:// hosts.
   */
  options: Docker.DockerOptions | undefined;
}

export interface ResolveEndpointInput {
  /** Explicit location (same grammar as DOCKER_HOST); wins over everything else. */
  dockerHost?: string;
  env?: NodeJS.ProcessEnv;
  /** Injected for tests; defaults to fs.existsSync. */
  exists?: (path: string) => boolean;
}

/** Parses a DOCKER_HOST-style location: `unix:///path`, `/path`, `tcp://host:port`, `http(s)://host:port`. */
export function parseDockerHost(location: string): Docker.DockerOptions {
  const text = location.trim();
  if (text.startsWith('/')) return { socketPath: text };
  if (text.startsWith('unix://')) {
    const socketPath = text.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`Invalid docker host ${JSON.stringify(location)}: a unix socket path must be absolute`);
    return { socketPath };
  }
  const match = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(text);
  if (!match) {
    throw new Error(`Invalid docker host ${JSON.stringify(location)}: expected unix:///path/to/socket or tcp://host:port`);
  }
  const protocol = match[1] === 'https' ? 'https' : 'http';
  const port = match[3] ? Number(match[3]) : protocol === 'https' ? 2376 : 2375;
  return { host: match[2].replace(/^\[|\]$/g, ''), port, protocol };
}

export function resolveDockerEndpoint(input: ResolveEndpointInput = {}): DockerEndpoint {
  const env = input.env ?? process.env;
  const exists = input.exists ?? existsSync;
  if (input.dockerHost) return { description: input.dockerHost, options: parseDockerHost(input.dockerHost) };
  if (env.DOCKER_HOST) return { description: env.DOCKER_HOST, options: undefined };
  for (const socketPath of [DOCKER_SOCKET, PODMAN_SOCKET]) {
    if (exists(socketPath)) return { description: `unix://${socketPath}`, options: { socketPath } };
  }
  // Nothing there yet: point at Docker's default so available() says false (and re-resolves later).
  return { description: `unix://${DOCKER_SOCKET}`, options: { socketPath: DOCKER_SOCKET } };
}

export function createDockerClient(endpoint: DockerEndpoint): Docker {
  return endpoint.options ? new Docker(endpoint.options) : new Docker();
}

/** Whether exec'd processes share our PID namespace view (local socket), so we may signal them. */
export function isLocalEndpoint(endpoint: DockerEndpoint): boolean {
  if (endpoint.options) return typeof endpoint.options.socketPath === 'string';
  return (process.env.DOCKER_HOST ?? '').startsWith('unix://');
}
