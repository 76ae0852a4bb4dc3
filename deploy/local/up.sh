#!/usr/bin/env bash
# Start the local stack: install missing build/run prerequisites (Debian, as root),
# then start PostgreSQL and Kafka, and print the environment to export.
# Harmless to run again: everything already installed, fetched or running is left alone.
#
# Environment (all optional):
#   ARREARS_SKIP_APT=1   never call apt-get (only report what is missing)
#   ARREARS_KAFKA_PORT, ARREARS_KAFKA_CONTROLLER_PORT, ARREARS_PG_PORT, ARREARS_DEPLOY_DIR,
#   ARREARS_PG_DIR: see kafka.sh and postgres.sh
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf '[up] %s\n' "$*" >&2; }
die() { printf '[up] ERROR: %s\n' "$*" >&2; exit 1; }

# Debian packages: what the Rust build needs (rdkafka's bundled librdkafka is built
# with cmake and needs the libcurl headers), what the local services need, and kcat.
packages=(build-essential cmake pkg-config libssl-dev libcurl4-openssl-dev kcat)
command -v java >/dev/null 2>&1 || packages+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || packages+=(maven)

missing=()
for p in "${packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "${p}" 2>/dev/null || true)" != "installed" ]]; then
    missing+=("${p}")
  fi
done

if (( ${#missing[@]} > 0 )); then
  if [[ "${ARREARS_SKIP_APT:-0}" == "1" ]]; then
    log "missing Debian packages (ARREARS_SKIP_APT=1, not installing): ${missing[*]}"
  elif [[ ${EUID} -ne 0 ]]; then
    log "missing Debian packages: ${missing[*]}"
    log "install them with: sudo apt-get install -y ${missing[*]}"
    if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
      die "java and mvn are required to run Kafka"
    fi
  elif ! command -v apt-get >/dev/null 2>&1; then
    die "missing packages (${missing[*]}) and no apt-get on this machine: install them by hand"
  else
    log "installing missing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    apt-get "${apt_opts[@]}" update -qq </dev/null || die "apt-get update failed"
    apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2 \
      || die "apt-get install ${missing[*]} failed"
  fi
fi

t0=${SECONDS}
bash "${SCRIPT_DIR}/postgres.sh" start
t1=${SECONDS}
bash "${SCRIPT_DIR}/kafka.sh" start
t2=${SECONDS}
log "PostgreSQL took $((t1 - t0))s, Kafka $((t2 - t1))s"

# shellcheck source=deploy/local/env.sh
source "${SCRIPT_DIR}/env.sh"
cat <<EOF

Local stack is up. Export this (or: source deploy/local/env.sh):

export ARREARS_KAFKA_BROKERS=${ARREARS_KAFKA_BROKERS}
export ARREARS_DATABASE_URL=${ARREARS_DATABASE_URL}

Stop it with: bash deploy/local/down.sh
EOF
