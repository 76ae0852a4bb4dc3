#!/usr/bin/env bash
# A project-local PostgreSQL cluster on loopback, from Debian's packages.
#
#   deploy/local/postgres.sh start    install PostgreSQL if missing, initdb once, start, wait,
#                                     ensure role 'arrears' (password 'arrears') and database 'arrears'
#   deploy/local/postgres.sh stop     pg_ctl stop -m fast
#   deploy/local/postgres.sh status   exit 0 when running and accepting connections, 3 when stopped
#   deploy/local/postgres.sh reset    stop and delete the cluster
#   deploy/local/postgres.sh psql [ARGS...]   psql as the superuser on the local cluster
#   deploy/local/postgres.sh datadir          print the cluster's directory
#
# Environment (all optional):
#   ARREARS_PG_PORT   TCP port on 127.0.0.1          (default 55432)
#   ARREARS_PG_DIR    cluster directory              (default <repo>/.deploy-data/postgres, or
#                     /var/tmp/arrears-pg-<hash of repo path> when the OS user 'postgres'
#                     cannot traverse the repository's directory)
#   ARREARS_PG_BIN    directory holding initdb/pg_ctl (default newest /usr/lib/postgresql/*/bin)
#
# As root the cluster is owned by and runs as the OS user 'postgres' (initdb refuses root);
# as any other user it runs as that user.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"

PG_PORT="${ARREARS_PG_PORT:-55432}"
HOST=127.0.0.1
APP_USER=arrears
APP_PASSWORD=arrears
APP_DB=arrears

log() { printf '[postgres] %s\n' "$*" >&2; }
die() { printf '[postgres] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

[[ "${PG_PORT}" =~ ^[0-9]+$ ]] || die "ARREARS_PG_PORT must be a number, got '${PG_PORT}'"

if [[ ${EUID} -eq 0 ]]; then
  RUN_AS=postgres
else
  RUN_AS="$(id -un)"
fi
SUPERUSER="${RUN_AS}"

# Run a command as the cluster's OS user, from a directory that user can read.
as_pg() {
  if [[ ${EUID} -eq 0 ]]; then
    (cd / && runuser -u "${RUN_AS}" -- "$@")
  else
    (cd / && "$@")
  fi
}

# ---------------------------------------------------------------- binaries

find_bin() {
  if [[ -n "${ARREARS_PG_BIN:-}" ]]; then
    [[ -x "${ARREARS_PG_BIN}/initdb" && -x "${ARREARS_PG_BIN}/pg_ctl" ]] \
      || die "ARREARS_PG_BIN=${ARREARS_PG_BIN} has no initdb/pg_ctl"
    printf '%s\n' "${ARREARS_PG_BIN}"
    return 0
  fi
  local want="" d best=""
  # An existing cluster must keep running on its own major version.
  if [[ -n "${PGDATA_DIR:-}" && -f "${PGDATA_DIR}/PG_VERSION" ]]; then
    want="$(cat "${PGDATA_DIR}/PG_VERSION")"
    d="/usr/lib/postgresql/${want}/bin"
    if [[ -x "${d}/initdb" && -x "${d}/pg_ctl" ]]; then
      printf '%s\n' "${d}"
      return 0
    fi
  fi
  while IFS= read -r d; do
    [[ -x "${d}/initdb" && -x "${d}/pg_ctl" ]] && best="${d}"
  done < <(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V)
  [[ -n "${best}" ]] || return 10
  if [[ -n "${want}" ]]; then
    die "the cluster in ${PGDATA_DIR} is PostgreSQL ${want}, but only ${best} is installed: install postgresql-${want} or run '$0 reset' (deletes the data)"
  fi
  printf '%s\n' "${best}"
}

install_postgres() {
  [[ ${EUID} -eq 0 ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install them (e.g. sudo apt-get install -y postgresql) or set ARREARS_PG_BIN"
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available; install PostgreSQL and set ARREARS_PG_BIN"
  log "PostgreSQL server binaries not found: installing Debian's postgresql packages"
  # Do not let the package create and start its default 'main' cluster on port 5432:
  # this project runs its own cluster. (A drop-in, so no dpkg conffile prompt.)
  mkdir -p /etc/postgresql-common/createcluster.d
  if [[ ! -e /etc/postgresql-common/createcluster.d/arrears-no-main-cluster.conf ]]; then
    printf '# written by arrears deploy/local/postgres.sh\ncreate_main_cluster = false\n' \
      >/etc/postgresql-common/createcluster.d/arrears-no-main-cluster.conf
  fi
  export DEBIAN_FRONTEND=noninteractive
  local -a apt_opts=(-o DPkg::Lock::Timeout=300
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  apt-get "${apt_opts[@]}" update -qq </dev/null || die "apt-get update failed"
  apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends \
    postgresql postgresql-client </dev/null >&2 || die "apt-get install postgresql failed"
}

# ---------------------------------------------------------------- directories

hash_of_repo() {
  printf '%s' "${REPO_ROOT}" | sha256sum | cut -c1-12
}

# Can the cluster's OS user reach (traverse) directory $1?
pg_can_traverse() {
  as_pg test -x "$1" 2>/dev/null
}

choose_dir() {
  if [[ -n "${ARREARS_PG_DIR:-}" ]]; then
    printf '%s\n' "${ARREARS_PG_DIR}"
    return 0
  fi
  local base="${REPO_ROOT}/.deploy-data"
  if [[ ${EUID} -ne 0 ]]; then
    printf '%s\n' "${base}/postgres"
    return 0
  fi
  mkdir -p "${base}"
  # The OS user 'postgres' must be able to walk down to its data directory.
  # .deploy-data is ours: let others traverse it (no read/list bit needed).
  chmod a+x "${base}" 2>/dev/null || true
  if pg_can_traverse "${base}"; then
    printf '%s\n' "${base}/postgres"
  else
    printf '%s\n' "/var/tmp/arrears-pg-$(hash_of_repo)"
  fi
}

need_postgres_user() {
  if [[ ${EUID} -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
    die "OS user 'postgres' does not exist (it comes with Debian's postgresql packages); reinstall them: apt-get install --reinstall -y postgresql-common"
  fi
}

# Lazily resolved; 'stop'/'status'/'reset' must not install anything.
PG_ROOT=""
PGDATA_DIR=""
SOCKET_DIR=""
PG_LOG=""
BIN=""

resolve_dirs() {
  PG_ROOT="$(choose_dir)"
  PGDATA_DIR="${PG_ROOT}/data"
  SOCKET_DIR="${PG_ROOT}/run"
  PG_LOG="${PG_ROOT}/postgres.log"
  # Unix socket paths are limited to ~107 bytes; fall back to TCP-only admin access.
  if (( ${#SOCKET_DIR} + 20 > 100 )); then
    SOCKET_DIR=""
  fi
}

# find_bin: 0 found, 10 nothing installed, other: it already said why (die).
resolve_bin_or_install() {
  local rc=0
  BIN="$(find_bin)" || rc=$?
  if (( rc == 10 )); then
    install_postgres
    rc=0
    BIN="$(find_bin)" || rc=$?
    (( rc == 0 )) || die "PostgreSQL was installed but no /usr/lib/postgresql/*/bin/initdb was found"
  elif (( rc != 0 )); then
    exit "${rc}"
  fi
}

resolve_bin_if_present() {
  BIN="$(find_bin 2>/dev/null)" || BIN=""
}

# ---------------------------------------------------------------- cluster

write_conf() {
  local sockets="'${SOCKET_DIR}'"
  [[ -n "${SOCKET_DIR}" ]] || sockets="''"
  as_pg tee "${PGDATA_DIR}/arrears.conf" >/dev/null <<EOF
# Generated by deploy/local/postgres.sh on every start (edit the script, not this file).
listen_addresses = '${HOST}'
port = ${PG_PORT}
unix_socket_directories = ${sockets}
max_connections = 200
shared_buffers = 128MB
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = -1
EOF
}

init_cluster() {
  if [[ -f "${PGDATA_DIR}/PG_VERSION" ]]; then
    return 0
  fi
  need_postgres_user
  if [[ -d "${PGDATA_DIR}" && -n "$(ls -A "${PGDATA_DIR}" 2>/dev/null)" ]]; then
    log "${PGDATA_DIR} exists without PG_VERSION (interrupted initdb?): wiping it"
    rm -rf "${PGDATA_DIR}"
  fi
  mkdir -p "${PG_ROOT}"
  if [[ ${EUID} -eq 0 ]]; then
    chown "${RUN_AS}:" "${PG_ROOT}"
  fi
  chmod 700 "${PG_ROOT}"
  as_pg test -w "${PG_ROOT}" || die "OS user '${RUN_AS}' cannot write ${PG_ROOT}; set ARREARS_PG_DIR to a directory it can reach"
  if [[ -n "${SOCKET_DIR}" ]]; then
    as_pg mkdir -p "${SOCKET_DIR}"
  fi
  log "initdb ${PGDATA_DIR} (PostgreSQL $("${BIN}/pg_ctl" --version | awk '{print $3}'), superuser '${SUPERUSER}')"
  if ! as_pg "${BIN}/initdb" -D "${PGDATA_DIR}" -U "${SUPERUSER}" --encoding=UTF8 --locale=C \
        --auth-local=peer --auth-host=scram-sha-256 >"${PG_ROOT}/initdb.log" 2>&1; then
    cat "${PG_ROOT}/initdb.log" >&2
    die "initdb failed (log above)"
  fi
  # Admin access only through the Unix socket as the cluster's OS user (peer);
  # everything else, including the application, uses a password over loopback TCP.
  as_pg tee "${PGDATA_DIR}/pg_hba.conf" >/dev/null <<EOF
# Generated by deploy/local/postgres.sh
# TYPE  DATABASE  USER          ADDRESS        METHOD
local   all       ${SUPERUSER}                 peer
host    all       all           127.0.0.1/32   scram-sha-256
host    all       all           ::1/128        scram-sha-256
EOF
  printf "\n# arrears: local settings (port, listen address, socket directory)\ninclude = 'arrears.conf'\n" \
    | as_pg tee -a "${PGDATA_DIR}/postgresql.conf" >/dev/null
  if [[ -z "${SOCKET_DIR}" ]]; then
    # No socket: the superuser needs a password-less TCP path for the role setup below.
    as_pg sed -i "1a host    all       ${SUPERUSER}    127.0.0.1/32   trust" "${PGDATA_DIR}/pg_hba.conf"
  fi
}

admin_psql() {
  local -a conn
  if [[ -n "${SOCKET_DIR}" ]]; then
    conn=(-h "${SOCKET_DIR}")
  else
    conn=(-h "${HOST}")
  fi
  as_pg "${BIN}/psql" "${conn[@]}" -p "${PG_PORT}" -U "${SUPERUSER}" -X -v ON_ERROR_STOP=1 "$@"
}

ensure_app_db() {
  admin_psql -d postgres -q <<EOF
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP_USER}') THEN
    CREATE ROLE ${APP_USER} LOGIN CREATEDB PASSWORD '${APP_PASSWORD}';
  END IF;
END
\$\$;
EOF
  if [[ "$(admin_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '${APP_DB}'")" != "1" ]]; then
    log "creating database ${APP_DB} owned by ${APP_USER}"
    admin_psql -d postgres -q -c "CREATE DATABASE ${APP_DB} OWNER ${APP_USER}"
  fi
}

# Is the postmaster of this data directory alive? (Not 'pg_ctl status': right after a
# SIGKILL the postmaster can linger as a zombie, which kill -0 still reports as alive.)
postmaster_pid() {
  head -n1 "${PGDATA_DIR}/postmaster.pid" 2>/dev/null | tr -d '[:space:]'
}

proc_state() {
  sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true
}

is_running() {
  local pid state cmdline
  [[ -f "${PGDATA_DIR}/postmaster.pid" ]] || return 1
  pid="$(postmaster_pid)"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  state="$(proc_state "${pid}")"
  [[ -n "${state}" && "${state}" != "Z" && "${state}" != "X" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null || true)"
  [[ "${cmdline}" == *"${PGDATA_DIR}"* ]]
}

accepting() {
  local isready="${BIN}/pg_isready"
  [[ -x "${isready}" ]] || isready="$(command -v pg_isready || true)"
  [[ -n "${isready}" ]] || return 1
  "${isready}" -q -h "${HOST}" -p "${PG_PORT}" -d postgres -t 2 >/dev/null 2>&1
}

running_port() {
  # The port the running postmaster listens on (line 4 of postmaster.pid).
  sed -n '4p' "${PGDATA_DIR}/postmaster.pid" 2>/dev/null || true
}

start() {
  resolve_dirs
  if [[ -z "${ARREARS_PG_DIR:-}" && "${PG_ROOT}" != "${REPO_ROOT}/"* ]]; then
    log "note: the OS user '${RUN_AS}' cannot traverse ${REPO_ROOT}, so the cluster lives in ${PG_ROOT}"
  fi
  resolve_bin_or_install
  if is_running; then
    local rp
    rp="$(running_port)"
    if [[ -n "${rp}" && "${rp}" != "${PG_PORT}" ]]; then
      die "the cluster in ${PGDATA_DIR} is already running on port ${rp}, not ${PG_PORT}: run '$0 stop' first"
    fi
    if wait_ready; then
      ensure_app_db
      log "already running on ${HOST}:${PG_PORT} (${PGDATA_DIR})"
      return 0
    fi
    log "the postmaster went away while waiting for it; starting it again"
  fi
  if (exec 3<>"/dev/tcp/${HOST}/${PG_PORT}") 2>/dev/null; then
    die "port ${HOST}:${PG_PORT} is already in use by another process: stop it or set ARREARS_PG_PORT"
  fi
  init_cluster
  wait_zombie_postmaster
  [[ -z "${SOCKET_DIR}" ]] || as_pg mkdir -p "${SOCKET_DIR}"
  write_conf
  log "starting PostgreSQL on ${HOST}:${PG_PORT} (data ${PGDATA_DIR}, log ${PG_LOG})"
  local start_s=${SECONDS}
  # pg_ctl removes a stale postmaster.pid itself when its process is gone.
  if ! as_pg "${BIN}/pg_ctl" -D "${PGDATA_DIR}" -l "${PG_LOG}" -w -t 60 -o "-p ${PG_PORT}" start >/dev/null; then
    tail -n 30 "${PG_LOG}" >&2 || true
    die "pg_ctl start failed (log above, full log in ${PG_LOG})"
  fi
  wait_ready || die "PostgreSQL stopped right after starting; see ${PG_LOG}"
  ensure_app_db
  log "ready on ${HOST}:${PG_PORT} after $((SECONDS - start_s))s"
}

# A postmaster killed with SIGKILL stays a zombie until its parent (often PID 1) reaps it,
# and PostgreSQL refuses to start while the PID in postmaster.pid still exists. Wait for it.
wait_zombie_postmaster() {
  local pid deadline=$((SECONDS + 60)) said=0
  [[ -f "${PGDATA_DIR}/postmaster.pid" ]] || return 0
  pid="$(postmaster_pid)"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 0
  while [[ "$(proc_state "${pid}")" == "Z" ]]; do
    if (( said == 0 )); then
      log "the previous postmaster (pid ${pid}) died and is not reaped yet; waiting for it"
      said=1
    fi
    (( SECONDS < deadline )) || die "the dead postmaster (pid ${pid}) is still a zombie after 60s; PostgreSQL cannot start until its parent reaps it"
    sleep 0.5
  done
}

# 0 when accepting connections, 1 when the postmaster is gone; dies after 60s.
wait_ready() {
  local deadline=$((SECONDS + 60))
  until accepting; do
    is_running || return 1
    (( SECONDS < deadline )) || die "PostgreSQL does not accept connections on ${HOST}:${PG_PORT} after 60s; see ${PG_LOG}"
    sleep 0.5
  done
}

stop() {
  resolve_dirs
  resolve_bin_if_present
  if ! is_running; then
    log "not running"
    return 0
  fi
  log "stopping PostgreSQL (${PGDATA_DIR})"
  as_pg "${BIN}/pg_ctl" -D "${PGDATA_DIR}" -m fast -w -t 60 stop >/dev/null \
    || die "pg_ctl stop failed; see ${PG_LOG}"
  log "stopped"
}

status() {
  resolve_dirs
  resolve_bin_if_present
  if is_running; then
    if accepting; then
      log "running on ${HOST}:${PG_PORT}, data ${PGDATA_DIR}"
      return 0
    fi
    log "postmaster running (data ${PGDATA_DIR}) but not accepting connections on ${HOST}:${PG_PORT}"
    return 1
  fi
  log "stopped (data ${PGDATA_DIR}$([[ -f "${PGDATA_DIR}/PG_VERSION" ]] || printf ', not initialised'))"
  return 3
}

reset() {
  stop
  resolve_dirs
  log "deleting ${PG_ROOT}"
  rm -rf "${PG_ROOT}"
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "${cmd}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) reset ;;
  restart) stop; start ;;
  psql)
    resolve_dirs
    resolve_bin_if_present
    [[ -n "${BIN}" ]] || die "PostgreSQL is not installed; run '$0 start' first"
    admin_psql -d "${APP_DB}" "$@" ;;
  datadir)
    resolve_dirs
    printf '%s\n' "${PG_ROOT}" ;;
  *) usage ;;
esac
