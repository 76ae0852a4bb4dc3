#!/usr/bin/env bash
# Stop the local Kafka and PostgreSQL (data is kept; see kafka.sh/postgres.sh reset to delete it).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

rc=0
bash "${SCRIPT_DIR}/kafka.sh" stop || rc=1
bash "${SCRIPT_DIR}/postgres.sh" stop || rc=1
if (( rc != 0 )); then
  printf '[down] ERROR: at least one service failed to stop (see above)\n' >&2
fi
exit "${rc}"
