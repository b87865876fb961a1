#!/usr/bin/env bash
# Container tooling for the course's tests on a machine with no Docker engine and no registry.
#
# As root on Debian 12 this
#   1. installs podman, buildah, runc, uidmap and debootstrap (only what is missing);
#   2. writes a containers.conf that works on such machines (runc, not crun, which fails on this
#      cgroup setup; lower default ulimits) at $CONTAINERS_CONF_PATH — select it with
#      `export CONTAINERS_CONF=/etc/containers/mlops-course.conf` (.ci/run does);
#   3. builds local stand-ins for the course's allowed base images, under exactly the names in
#      grader/policy/containers.toml, so that an unmodified `FROM python:3.11-slim` or
#      `COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv ...` resolves without a registry:
#        docker.io/library/python:3.11-slim   Debian bookworm (debootstrap minbase) + python3,
#                                             /usr/local/bin/python -> /usr/bin/python3
#        ghcr.io/astral-sh/uv:VERSION         the static `uv` binary from the uv wheel on PyPI, at /uv
#      Both are labelled `org.mlops-course.stand-in=true`: they are not the real images.
#
# Idempotent and cached: an image that exists is kept; one that is missing is loaded from
# $CONTAINER_CACHE_DIR/<name>.tar when that exists (CI can cache the directory), else built and
# saved there. Takes ~1 minute the first time, ~1 s after that.
set -euo pipefail
cd "$(dirname "$0")/.."

POLICY=grader/policy/containers.toml
CONTAINERS_CONF_PATH=${CONTAINERS_CONF_PATH:-/etc/containers/mlops-course.conf}
CONTAINER_CACHE_DIR=${CONTAINER_CACHE_DIR:-/var/cache/mlops-course/images}
STAND_IN_LABEL=org.mlops-course.stand-in=true

log() { echo "container-setup: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "not root: skipping (tests that need podman will skip, or fail under CI=true)"
  exit 0
fi

# --- 1. packages --------------------------------------------------------------------------------
need=()
for tool in podman buildah runc newuidmap debootstrap; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ "${#need[@]}" -gt 0 ]; then
  packages=()
  for tool in "${need[@]}"; do
    case "$tool" in
      newuidmap) packages+=(uidmap) ;;
      *) packages+=("$tool") ;;
    esac
  done
  log "installing ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

# --- 2. containers.conf -------------------------------------------------------------------------
mkdir -p "$(dirname "$CONTAINERS_CONF_PATH")"
cat >"$CONTAINERS_CONF_PATH.tmp" <<'EOF'
# Written by .ci/container-setup.sh (mlops-course): select with CONTAINERS_CONF=<this file>.
[containers]
# The engine's defaults (nofile 1048576) exceed what this kind of machine allows a container.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
# crun fails on this cgroup setup; runc works.
runtime = "runc"
EOF
mv "$CONTAINERS_CONF_PATH.tmp" "$CONTAINERS_CONF_PATH"
export CONTAINERS_CONF=$CONTAINERS_CONF_PATH

# --- 3. base-image stand-ins --------------------------------------------------------------------
mapfile -t allowed < <(python3 - "$POLICY" <<'EOF'
import sys
import tomllib

with open(sys.argv[1], "rb") as policy:
    for reference in tomllib.load(policy)["base_images"]["allowed"]:
        print(reference)
EOF
)
[ "${#allowed[@]}" -gt 0 ] || { log "no allowed base images in $POLICY"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$CONTAINER_CACHE_DIR"

debian_mirror() {
  # The machine's own Debian mirror (deb822 or one-line sources), else the default one.
  local uri
  uri=$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security \
    | head -n1 | awk '{print $2}') || true
  if [ -z "$uri" ]; then
    uri=$(grep -hoE '^deb +(\[[^]]*\] +)?https?://\S+' /etc/apt/sources.list 2>/dev/null \
      | grep -v security | head -n1 | awk '{print $NF}') || true
  fi
  echo "${DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

build_python() {
  local reference=$1 version=$2 rootfs="$work/python-rootfs"
  local available
  # Debian 12 ships Python 3.11: the stand-in can only be a 3.11.
  if [ "$version" != "3.11" ]; then
    log "$reference: no Debian bookworm stand-in for Python $version"
    return 1
  fi
  log "$reference: debootstrap bookworm (minbase + python3) from $(debian_mirror)"
  debootstrap --variant=minbase --include=python3 bookworm "$rootfs" "$(debian_mirror)" \
    >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; return 1; }
  available=$(chroot "$rootfs" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  [ "$available" = "$version" ] || { log "bookworm has Python $available"; return 1; }
  # The official image's layout: python, python3 and their -config on the usual path.
  ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python3"
  ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
  tar --numeric-owner -C "$rootfs" -c . | podman import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV LANG=C.UTF-8" \
    --change "CMD [\"python3\"]" \
    --change "LABEL $STAND_IN_LABEL" \
    --change "LABEL org.opencontainers.image.description=\"local stand-in for $reference: Debian bookworm minbase + python3, not the official image\"" \
    - "$reference" >/dev/null
}

build_uv() {
  local reference=$1 version=$2 wheels="$work/uv-wheel" binary
  log "$reference: uv $version from its PyPI wheel"
  # The musllinux wheel carries a static binary, which runs in an image with nothing else in it
  # (as the official one does); the manylinux one needs glibc.
  local pip=(python3 -m pip)
  python3 -m pip --version >/dev/null 2>&1 || pip=(uvx pip)
  "${pip[@]}" download --quiet --no-deps --only-binary=:all: \
    --platform "musllinux_1_1_$(uname -m)" --dest "$wheels" "uv==$version"
  (cd "$wheels" && python3 -m zipfile -e ./uv-*.whl unpacked)
  binary=$(find "$wheels/unpacked" -path '*/scripts/uv' -type f | head -n1)
  [ -n "$binary" ] || { log "no uv binary in the wheel"; return 1; }
  mkdir -p "$work/uv-root"
  install -m 0755 "$binary" "$work/uv-root/uv"
  [ -f "${binary%/uv}/uvx" ] && install -m 0755 "${binary%/uv}/uvx" "$work/uv-root/uvx"
  "$work/uv-root/uv" --version | grep -q " $version" || { log "the wheel's uv is not $version"; return 1; }
  tar --numeric-owner -C "$work/uv-root" -c . | podman import \
    --change "ENTRYPOINT [\"/uv\"]" \
    --change "LABEL $STAND_IN_LABEL" \
    --change "LABEL org.opencontainers.image.description=\"local stand-in for $reference: the uv binary from PyPI's uv wheel, not the official image\"" \
    - "$reference" >/dev/null
}

for reference in "${allowed[@]}"; do
  if podman image exists "$reference"; then
    log "$reference: present"
    continue
  fi
  cache="$CONTAINER_CACHE_DIR/$(echo "$reference" | tr '/:' '__').tar"
  if [ -f "$cache" ] && podman load --quiet --input "$cache" >/dev/null 2>&1 \
    && podman image exists "$reference"; then
    log "$reference: loaded from $cache"
    continue
  fi
  case "$reference" in
    docker.io/library/python:*-slim)
      version=${reference#docker.io/library/python:}
      build_python "$reference" "${version%-slim}"
      ;;
    ghcr.io/astral-sh/uv:*)
      build_uv "$reference" "${reference#ghcr.io/astral-sh/uv:}"
      ;;
    *)
      log "$reference: no recipe for a local stand-in"
      exit 1
      ;;
  esac
  podman save --quiet --output "$cache.tmp" "$reference" && mv "$cache.tmp" "$cache"
  log "$reference: built ($(podman image inspect --format '{{.Size}}' "$reference") bytes), saved to $cache"
done
