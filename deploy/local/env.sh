# shellcheck shell=sh
# Source me:  . deploy/local/env.sh
# Exports the addresses of the local stack started by deploy/local/up.sh,
# honouring the same port overrides (ARREARS_KAFKA_PORT, ARREARS_PG_PORT).
# Sets nothing else and changes no shell options, so it is safe to source anywhere.
ARREARS_KAFKA_BROKERS="127.0.0.1:${ARREARS_KAFKA_PORT:-9092}"
ARREARS_DATABASE_URL="postgres://arrears:arrears@127.0.0.1:${ARREARS_PG_PORT:-55432}/arrears"
export ARREARS_KAFKA_BROKERS ARREARS_DATABASE_URL
