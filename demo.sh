#!/usr/bin/env bash
# Builds what the demo needs and runs it (about a minute). Options: --seconds N, --policies DIR.
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q -ntp -pl samples -am package -DskipTests
exec java -jar samples/target/meshclient-demo.jar "$@"
