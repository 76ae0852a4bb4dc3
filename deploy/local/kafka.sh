#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, combined broker+controller) on loopback,
# fetched from Maven Central and run with the machine's Java (17+).
#
#   deploy/local/kafka.sh fetch    download the jars (no-op when present)
#   deploy/local/kafka.sh start    fetch, write config, format once, start, wait until ready
#   deploy/local/kafka.sh stop     stop cleanly (SIGTERM, then SIGKILL after a timeout)
#   deploy/local/kafka.sh status   exit 0 when running and answering, 3 when stopped
#   deploy/local/kafka.sh reset    stop and delete data/logs/config (keeps the jars)
#   deploy/local/kafka.sh topics ARGS...   org.apache.kafka.tools.TopicCommand with --bootstrap-server set
#   deploy/local/kafka.sh tool CLASS ARGS... run any Kafka tool class on the fetched classpath
#   deploy/local/kafka.sh classpath          print the classpath (quote it: it contains a '*')
#
# Environment (all optional):
#   ARREARS_KAFKA_PORT             broker PLAINTEXT port          (default 9092)
#   ARREARS_KAFKA_CONTROLLER_PORT  KRaft controller port          (default 9093)
#   ARREARS_DEPLOY_DIR             state directory                (default <repo>/.deploy-data/kafka)
#   ARREARS_KAFKA_VERSION          Kafka version to fetch         (default: the one in kafka/pom.xml)
#   ARREARS_KAFKA_HEAP_OPTS        broker heap                    (default "-Xms512m -Xmx1g")
#   ARREARS_KAFKA_START_TIMEOUT    seconds to wait for readiness  (default 120)
#   JAVA_HOME                      Java 17+ to use (default: java on PATH)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
POM_DIR="${SCRIPT_DIR}/kafka"

KAFKA_PORT="${ARREARS_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${ARREARS_KAFKA_CONTROLLER_PORT:-9093}"
STATE_DIR="${ARREARS_DEPLOY_DIR:-${REPO_ROOT}/.deploy-data/kafka}"
HEAP_OPTS="${ARREARS_KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}"
START_TIMEOUT="${ARREARS_KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT=60
HOST=127.0.0.1

DATA_DIR="${STATE_DIR}/data"
LOG_DIR="${STATE_DIR}/logs"
CONF_DIR="${STATE_DIR}/config"
PID_FILE="${STATE_DIR}/kafka.pid"
CLUSTER_ID_FILE="${STATE_DIR}/cluster.id"
FORMAT_INFO_FILE="${STATE_DIR}/formatted-with"
SERVER_PROPS="${CONF_DIR}/server.properties"

log() { printf '[kafka] %s\n' "$*" >&2; }
die() { printf '[kafka] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

[[ "${KAFKA_PORT}" =~ ^[0-9]+$ ]] || die "ARREARS_KAFKA_PORT must be a number, got '${KAFKA_PORT}'"
[[ "${CONTROLLER_PORT}" =~ ^[0-9]+$ ]] || die "ARREARS_KAFKA_CONTROLLER_PORT must be a number, got '${CONTROLLER_PORT}'"
[[ "${KAFKA_PORT}" != "${CONTROLLER_PORT}" ]] || die "broker and controller ports must differ (both ${KAFKA_PORT})"

kafka_version() {
  if [[ -n "${ARREARS_KAFKA_VERSION:-}" ]]; then
    printf '%s\n' "${ARREARS_KAFKA_VERSION}"
    return
  fi
  local v
  v="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "${POM_DIR}/pom.xml" | head -n1)"
  [[ -n "${v}" ]] || die "cannot read <kafka.version> from ${POM_DIR}/pom.xml"
  printf '%s\n' "${v}"
}

VERSION="$(kafka_version)"
LIB_DIR="${STATE_DIR}/lib/${VERSION}"
CLASSPATH_GLOB="${LIB_DIR}/*"

java_bin() {
  local j
  if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
    j="${JAVA_HOME}/bin/java"
  elif command -v java >/dev/null 2>&1; then
    j="$(command -v java)"
  else
    die "java not found: install a JDK/JRE 17+ (Debian: apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"
  fi
  printf '%s\n' "${j}"
}

check_java() {
  local j major
  j="$(java_bin)"
  major="$("${j}" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)"
  major="${major#1.}"
  [[ "${major}" =~ ^[0-9]+$ ]] || die "cannot determine the Java version of ${j}"
  (( major >= 17 )) || die "Kafka ${VERSION} needs Java 17+, ${j} is Java ${major} (set JAVA_HOME)"
}

# ---------------------------------------------------------------- fetch

fetch() {
  if [[ -f "${LIB_DIR}/.complete" ]]; then
    log "jars for Kafka ${VERSION} already in ${LIB_DIR}"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven (Debian: apt-get install -y maven)"
  check_java
  mkdir -p "${STATE_DIR}/lib"
  local tmp="${LIB_DIR}.partial.$$"
  rm -rf "${tmp}"
  log "fetching Kafka ${VERSION} and its runtime dependencies with Maven into ${LIB_DIR}"
  local start=${SECONDS}
  if ! (cd "${POM_DIR}" && mvn -q -B -Dstyle.color=never \
          -Dkafka.version="${VERSION}" \
          -Ddeploy.scratch="${STATE_DIR}/maven-target" \
          dependency:copy-dependencies \
          -DincludeScope=runtime \
          -DoutputDirectory="${tmp}" </dev/null >"${STATE_DIR}/lib/fetch.log" 2>&1); then
    rm -rf "${tmp}"
    tail -n 40 "${STATE_DIR}/lib/fetch.log" >&2 || true
    die "Maven could not fetch org.apache.kafka:kafka_2.13:${VERSION} (is the Maven repository reachable? output above, full log in ${STATE_DIR}/lib/fetch.log)"
  fi
  ls "${tmp}"/kafka_2.13-*.jar >/dev/null 2>&1 || { rm -rf "${tmp}"; die "fetch finished but kafka_2.13 jar is missing in ${tmp}"; }
  rm -rf "${LIB_DIR}"
  mv "${tmp}" "${LIB_DIR}"
  touch "${LIB_DIR}/.complete"
  log "fetched $(find "${LIB_DIR}" -name '*.jar' | wc -l) jars in $((SECONDS - start))s"
}

# ---------------------------------------------------------------- config

write_config() {
  mkdir -p "${CONF_DIR}" "${LOG_DIR}" "${DATA_DIR}"
  cat >"${SERVER_PROPS}.tmp" <<EOF
# Generated by deploy/local/kafka.sh; rewritten on every start (edit the script, not this file).
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},CONTROLLER://${HOST}:${CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${HOST}:${KAFKA_PORT}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.bootstrap.servers=${HOST}:${CONTROLLER_PORT}

log.dirs=${DATA_DIR}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true

# One node: every internal topic has one replica, or groups and transactions hang.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Fast group joins for tests; let tests use short session timeouts (classic protocol).
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000

# Modest thread counts for a 2-core machine.
num.network.threads=3
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
  mv "${SERVER_PROPS}.tmp" "${SERVER_PROPS}"

  cat >"${CONF_DIR}/log4j2.properties" <<EOF
# Generated by deploy/local/kafka.sh: broker logs go to ${LOG_DIR}/server.log
status = warn
name = arrears-kafka
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = ${LOG_DIR}/server.log
appender.file.filePattern = ${LOG_DIR}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 4
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
EOF

  write_tools_config
}

write_tools_config() {
  mkdir -p "${CONF_DIR}"
  cat >"${CONF_DIR}/tools-log4j2.properties" <<'EOF'
# Generated by deploy/local/kafka.sh: command-line tools log warnings to stderr.
status = error
name = arrears-kafka-tools
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = err
EOF
}

# Run a Kafka tool class quickly (small heap, C1 only, no broker logging).
run_tool() {
  local j
  j="$(java_bin)"
  [[ -f "${CONF_DIR}/tools-log4j2.properties" ]] || write_tools_config
  "${j}" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="${CONF_DIR}/tools-log4j2.properties" \
    -cp "${CLASSPATH_GLOB}" "$@"
}

format_storage() {
  local recorded
  if [[ -f "${DATA_DIR}/meta.properties" ]]; then
    if [[ -f "${FORMAT_INFO_FILE}" ]]; then
      recorded="$(cat "${FORMAT_INFO_FILE}")"
      if [[ "${recorded}" != "controller=${HOST}:${CONTROLLER_PORT}" ]]; then
        # The voter set written by 'format --standalone' names the old endpoint. A single
        # self-voting node still starts (tested with Kafka 4.4.0); say so in case it does not.
        log "note: storage was formatted with ${recorded}, the controller is now ${HOST}:${CONTROLLER_PORT}; if Kafka does not become ready, go back to the old port or run '$0 reset'"
        printf 'controller=%s:%s\n' "${HOST}" "${CONTROLLER_PORT}" >"${FORMAT_INFO_FILE}"
      fi
    fi
    return 0
  fi
  # No meta.properties: never formatted, or a format that did not finish.
  # Debris of an unfinished format (only the metadata log) is wiped; topic data is not.
  local entry
  for entry in "${DATA_DIR}"/* "${DATA_DIR}"/.[!.]*; do
    [[ -e "${entry}" ]] || continue
    case "${entry##*/}" in
      __cluster_metadata-0|bootstrap.checkpoint|.lock|.kafka_cleanshutdown|*.tmp) ;;
      *) die "${DATA_DIR} holds data (${entry##*/}) but no meta.properties, so Kafka cannot start. Restore meta.properties, or run '$0 reset' (deletes all topics)." ;;
    esac
  done
  if [[ -n "$(ls -A "${DATA_DIR}" 2>/dev/null)" ]]; then
    log "data dir ${DATA_DIR} has no meta.properties (interrupted format?): wiping it before formatting"
    rm -rf "${DATA_DIR}"
    mkdir -p "${DATA_DIR}"
  fi
  local cid
  if [[ -s "${CLUSTER_ID_FILE}" ]]; then
    cid="$(cat "${CLUSTER_ID_FILE}")"
  else
    cid="$(run_tool kafka.tools.StorageTool random-uuid | tail -n1 | tr -d '[:space:]')"
    [[ -n "${cid}" ]] || die "kafka.tools.StorageTool random-uuid printed nothing"
    printf '%s\n' "${cid}" >"${CLUSTER_ID_FILE}"
  fi
  log "formatting storage (cluster id ${cid}, standalone controller ${HOST}:${CONTROLLER_PORT})"
  if ! run_tool kafka.tools.StorageTool format --config "${SERVER_PROPS}" \
        --cluster-id "${cid}" --standalone >"${LOG_DIR}/format.log" 2>&1; then
    cat "${LOG_DIR}/format.log" >&2
    die "formatting storage failed (log above, also in ${LOG_DIR}/format.log)"
  fi
  [[ -f "${DATA_DIR}/meta.properties" ]] || die "format reported success but ${DATA_DIR}/meta.properties is missing; see ${LOG_DIR}/format.log"
  printf 'controller=%s:%s\n' "${HOST}" "${CONTROLLER_PORT}" >"${FORMAT_INFO_FILE}"
}

# ---------------------------------------------------------------- process

# Is PID a Kafka started with our config file?
is_our_kafka() {
  local pid="$1" cmdline
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/${pid}/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null || true)"
  [[ "${cmdline}" == *"kafka.Kafka ${SERVER_PROPS}"* ]]
}

# Print the pid of our running broker (pid file first, then /proc scan), or fail.
running_pid() {
  local pid
  if [[ -f "${PID_FILE}" ]]; then
    pid="$(tr -d '[:space:]' <"${PID_FILE}")"
    if is_our_kafka "${pid}"; then
      printf '%s\n' "${pid}"
      return 0
    fi
  fi
  local d
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    if is_our_kafka "${pid}"; then
      printf '%s\n' "${pid}" >"${PID_FILE}"
      printf '%s\n' "${pid}"
      return 0
    fi
  done
  return 1
}

port_open() {
  # bash's /dev/tcp; the subshell keeps the fd from leaking.
  (exec 3<>"/dev/tcp/${HOST}/$1") 2>/dev/null
}

# A real metadata round-trip, not only an open port.
metadata_ok() {
  if command -v kcat >/dev/null 2>&1; then
    kcat -b "${HOST}:${KAFKA_PORT}" -L -m 5 2>/dev/null | grep -q 'broker 1 at'
  else
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "${HOST}:${KAFKA_PORT}" \
      --list >/dev/null 2>&1
  fi
}

# True while process $1 exists and is not a zombie. Used during start-up instead
# of is_our_kafka: right after the fork the child is still this script (its
# cmdline is bash's until it execs setsid/nohup/java), which is not a dead broker.
alive() {
  local state
  state="$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null || true)"
  [[ -n "${state}" && "${state}" != "Z" ]]
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while (( SECONDS < deadline )); do
    if ! alive "${pid}"; then
      log "Kafka exited during start-up; last lines of ${LOG_DIR}/kafka.out and server.log:"
      tail -n 20 "${LOG_DIR}/kafka.out" >&2 2>/dev/null || true
      tail -n 40 "${LOG_DIR}/server.log" >&2 2>/dev/null || true
      rm -f "${PID_FILE}"
      die "Kafka failed to start (see ${LOG_DIR}/server.log)"
    fi
    if port_open "${KAFKA_PORT}" && metadata_ok; then
      return 0
    fi
    sleep 0.5
  done
  die "Kafka (pid ${pid}) did not answer a metadata request on ${HOST}:${KAFKA_PORT} within ${START_TIMEOUT}s; see ${LOG_DIR}/server.log"
}

start() {
  local pid
  if pid="$(running_pid)"; then
    if port_open "${KAFKA_PORT}" && metadata_ok; then
      log "already running (pid ${pid}) on ${HOST}:${KAFKA_PORT}"
      return 0
    fi
    log "running (pid ${pid}) but not answering yet; waiting"
    wait_ready "${pid}"
    log "ready on ${HOST}:${KAFKA_PORT}"
    return 0
  fi
  rm -f "${PID_FILE}"
  for p in "${KAFKA_PORT}" "${CONTROLLER_PORT}"; do
    if port_open "${p}"; then
      die "port ${HOST}:${p} is already in use by another process (not this checkout's Kafka): stop it or set ARREARS_KAFKA_PORT / ARREARS_KAFKA_CONTROLLER_PORT"
    fi
  done
  fetch
  check_java
  write_config
  format_storage

  local j
  j="$(java_bin)"
  local -a heap
  read -r -a heap <<<"${HEAP_OPTS}"
  log "starting Kafka ${VERSION} (KRaft broker+controller) on ${HOST}:${KAFKA_PORT}, controller ${HOST}:${CONTROLLER_PORT}"
  local start_s=${SECONDS}
  # setsid: own session, so the broker outlives this script and its terminal.
  setsid nohup "${j}" "${heap[@]}" \
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dkafka.logs.dir="${LOG_DIR}" \
    -Dlog4j2.configurationFile="${CONF_DIR}/log4j2.properties" \
    -cp "${CLASSPATH_GLOB}" kafka.Kafka "${SERVER_PROPS}" \
    >>"${LOG_DIR}/kafka.out" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "${pid}" >"${PID_FILE}"
  wait_ready "${pid}"
  log "ready on ${HOST}:${KAFKA_PORT} (pid ${pid}) after $((SECONDS - start_s))s"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    if [[ -f "${PID_FILE}" ]]; then
      log "removing stale pid file ${PID_FILE}"
      rm -f "${PID_FILE}"
    fi
    log "not running"
    return 0
  fi
  log "stopping Kafka (pid ${pid})"
  kill -TERM "${pid}" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  # is_our_kafka, not kill -0: an exited broker may linger as a zombie until PID 1 reaps it.
  while is_our_kafka "${pid}" && (( SECONDS < deadline )); do
    sleep 0.5
  done
  if is_our_kafka "${pid}"; then
    log "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
    sleep 1
  fi
  rm -f "${PID_FILE}"
  log "stopped"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    if port_open "${KAFKA_PORT}" && metadata_ok; then
      log "running (pid ${pid}), Kafka ${VERSION} on ${HOST}:${KAFKA_PORT} (controller ${CONTROLLER_PORT}), state in ${STATE_DIR}"
      return 0
    fi
    log "process running (pid ${pid}) but ${HOST}:${KAFKA_PORT} does not answer metadata requests"
    return 1
  fi
  if [[ -f "${PID_FILE}" ]]; then
    log "stopped (stale pid file ${PID_FILE})"
  else
    log "stopped"
  fi
  return 3
}

reset() {
  stop
  log "deleting data, logs and config under ${STATE_DIR} (keeping jars in ${STATE_DIR}/lib)"
  rm -rf "${DATA_DIR}" "${LOG_DIR}" "${CONF_DIR}" "${CLUSTER_ID_FILE}" "${FORMAT_INFO_FILE}" "${PID_FILE}"
}

need_lib() {
  [[ -f "${LIB_DIR}/.complete" ]] || die "Kafka jars not fetched yet: run '$0 fetch' first"
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "${cmd}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) reset ;;
  restart) stop; start ;;
  topics)
    need_lib
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "${HOST}:${KAFKA_PORT}" "$@" ;;
  tool)
    need_lib
    [[ $# -ge 1 ]] || die "usage: $0 tool CLASS [ARGS...]"
    run_tool "$@" ;;
  classpath)
    printf '%s\n' "${CLASSPATH_GLOB}" ;;
  *) usage ;;
esac
