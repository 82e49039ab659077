#!/usr/bin/env bash
# Builds corral's test images from Debian's static busybox with `podman import` (no registry is
# reachable here). Each image is built only when missing, so a second run is quick.
#   corral-test/http:1  busybox httpd on port 8000 serving /www (index.html, health); CMD /bin/serve
#                       (override with args, e.g. ["/bin/serve","9000"] or ["sh","-c","..."])
#   corral-test/task:1  ENTRYPOINT ["/bin/sh","-c"], CMD ["/bin/run"]; args: ["<script>"] runs a script
# Usage: build-images.sh  (as root, with podman installed). Prints one line per step.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
HTTP_IMAGE=corral-test/http:1
TASK_IMAGE=corral-test/task:1

need=()
for image in "$HTTP_IMAGE" "$TASK_IMAGE"; do
  if podman image exists "$image"; then echo "image $image: present"; else need+=("$image"); fi
done
[ "${#need[@]}" -eq 0 ] && exit 0

WORK="$(mktemp -d /tmp/corral-images.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

echo "busybox-static: downloading the Debian package"
if ! (cd "$WORK" && apt-get download busybox-static >/dev/null 2>&1); then
  echo "busybox-static: apt-get update and retry"
  apt-get update -qq >/dev/null
  (cd "$WORK" && apt-get download busybox-static >/dev/null)
fi
dpkg -x "$WORK"/busybox-static_*.deb "$WORK/deb"
BUSYBOX="$WORK/deb/bin/busybox"
[ -x "$BUSYBOX" ] || { echo "busybox-static: no bin/busybox in the package" >&2; exit 1; }

# A minimal root filesystem: busybox and its applet links in /bin, root and nobody users.
base_rootfs() {
  local root="$1"
  mkdir -p "$root"/{bin,etc,tmp,root,proc,sys,dev,usr}
  chmod 1777 "$root/tmp"
  cp "$BUSYBOX" "$root/bin/busybox"
  local applet
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  ln -s bin "$root/sbin"
  ln -s ../bin "$root/usr/bin"
  ln -s ../bin "$root/usr/sbin"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

import_rootfs() {
  local root="$1" image="$2"; shift 2
  tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$WORK/rootfs.tar" .
  podman import --quiet "$@" "$WORK/rootfs.tar" "$image" >/dev/null
  rm -f "$WORK/rootfs.tar"
}

for image in "${need[@]}"; do
  echo "image $image: building"
  root="$WORK/rootfs-${image//[^a-z0-9]/_}"
  base_rootfs "$root"
  case "$image" in
    "$HTTP_IMAGE")
      mkdir -p "$root/www"
      install -m 0644 "$HERE/http/index.html" "$HERE/http/health" "$root/www/"
      install -m 0755 "$HERE/http/serve" "$root/bin/serve"
      import_rootfs "$root" "$image" \
        --change 'ENV PATH=/bin' --change 'EXPOSE 8000' --change 'WORKDIR /' \
        --change 'CMD ["/bin/serve"]'
      ;;
    "$TASK_IMAGE")
      install -m 0755 "$HERE/task/run" "$root/bin/run"
      import_rootfs "$root" "$image" \
        --change 'ENV PATH=/bin' --change 'WORKDIR /' \
        --change 'ENTRYPOINT ["/bin/sh","-c"]' --change 'CMD ["/bin/run"]'
      ;;
  esac
  podman image exists "$image" || { echo "image $image: import did not produce the image" >&2; exit 1; }
  echo "image $image: built"
done
