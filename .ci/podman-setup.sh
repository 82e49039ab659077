#!/usr/bin/env bash
# Makes a Docker Engine API available for corral's docker driver tests, backed by Podman
# (docs/docker.md), and builds the test images. Idempotent and quick when already done; run as root. One line per step;
# exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

SOCKET=/run/podman/podman.sock
PIDFILE=/run/podman/corral-podman-service.pid
LOGFILE=/var/log/corral-podman-service.log
CONF=/etc/containers/containers.conf

api_answers() {
  curl -fsS --max-time 2 --unix-socket "$SOCKET" http://d/v1.41/version >/dev/null 2>&1
}

# 1. Packages.
if command -v podman >/dev/null && command -v runc >/dev/null; then
  echo "podman, runc: installed ($(podman --version))"
else
  echo "podman, runc: installing"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc >/dev/null
  fi
  echo "podman, runc: installed ($(podman --version))"
fi

# 2. Engine configuration: crun fails here (cgroups hybrid mode) and default ulimits cannot be set.
WANTED_CONF='[containers]
default_ulimits = []

[engine]
runtime = "runc"'
conf_changed=0
if [ -f "$CONF" ] && [ "$(cat "$CONF")" = "$WANTED_CONF" ]; then
  echo "containers.conf: up to date"
else
  mkdir -p "$(dirname "$CONF")"
  printf '%s\n' "$WANTED_CONF" >"$CONF"
  conf_changed=1
  echo "containers.conf: written"
fi

# 3. The API service. A service we started is restarted when the configuration changed, and when
#    its working directory is gone: conmon inherits it, fails "Failed to get working directory",
#    and every container start then answers "exit status 1" (a service an earlier run started
#    from a clone that was deleted since). It is started from / so that cannot happen again.
service_cwd_gone() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null \
    && readlink "/proc/$(cat "$PIDFILE")/cwd" 2>/dev/null | grep -q ' (deleted)$'
}
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && { [ "$conf_changed" = 1 ] || service_cwd_gone; }; then
  echo "podman service: restarting (new configuration, or its working directory is gone)"
  kill "$(cat "$PIDFILE")"
  for _ in $(seq 1 50); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.1; done
  rm -f "$PIDFILE"
fi
if api_answers; then
  echo "podman service: answering at $SOCKET"
else
  echo "podman service: starting at $SOCKET"
  mkdir -p "$(dirname "$SOCKET")"
  rm -f "$SOCKET"
  (cd / && exec setsid nohup podman system service --time=0 "unix://$SOCKET" >>"$LOGFILE" 2>&1 </dev/null) &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 300); do api_answers && break; sleep 0.1; done
  if ! api_answers; then
    echo "podman service: did not answer /v1.41/version within 30 s; see $LOGFILE" >&2
    tail -n 20 "$LOGFILE" >&2 || true
    exit 1
  fi
  echo "podman service: answering at $SOCKET"
fi

# 4. Test images (built only when missing).
bash test/images/build-images.sh
echo "podman setup: done"
