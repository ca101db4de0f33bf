#!/usr/bin/env bash
# The whole test suite from a clean clone: system packages, npm packages, build, typecheck, tests.
# Ends with the line "N passed, N failed" counted from Vitest's JSON reports.
set -uo pipefail
cd "$(dirname "$0")/.."

# Real programs the tests drive: socat makes ptys, udevadm backs serial port listing, influxd is
# the InfluxDB 1.x the writer and the dashboards are tested against, chromium opens the HTML report,
# mosquitto is the MQTT broker (openssl makes its test certificates), iperf is iperf 2 (the host
# peer of ESP-IDF's iperf firmware).
declare -A pkg_for=([socat]=socat [udevadm]=udev [influxd]=influxdb [chromium]=chromium [mosquitto]=mosquitto [openssl]=openssl [iperf]=iperf)
missing=()
for cmd in "${!pkg_for[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_for[$cmd]}"); done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "test-all: installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || {
      echo "test-all: apt-get install ${missing[*]} failed" >&2
      exit 2
    }
  else
    echo "test-all: missing Debian packages: ${missing[*]}; install them: sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
fi

npm ci --no-audit --no-fund --loglevel=error || exit 2

reports="$PWD/.vitest-reports"
rm -rf "$reports" && mkdir -p "$reports"
# No cache and no daemon: every build, typecheck and test really runs.
ESPBENCH_VITEST_JSON_DIR="$reports" NX_DAEMON=false NX_NO_CLOUD=true \
  npx nx run-many -t build typecheck test --skip-nx-cache --output-style=static --parallel=2
status=$?

node tools/scripts/count-tests.mjs "$reports"
counted=$?
if [ $status -ne 0 ]; then exit $status; fi
exit $counted
