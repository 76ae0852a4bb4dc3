#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this):
#   1. install missing build prerequisites and start Kafka (KRaft) and PostgreSQL
#      through the project's own scripts (deploy/local/up.sh);
#   2. export ARREARS_KAFKA_BROKERS and ARREARS_DATABASE_URL, so tests that need
#      the real services find them (and fail, never skip, if they are down);
#   3. check formatting and lints, then run every test of the workspace.
# The services are left running afterwards; stop them with deploy/local/down.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bash deploy/local/up.sh
# shellcheck source=deploy/local/env.sh
source deploy/local/env.sh
export ARREARS_KAFKA_BROKERS ARREARS_DATABASE_URL

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
