#!/usr/bin/env bash
# The Debian packages the test suite calls, installed when missing (as root, or with sudo), or named in one line.
# `npm test` runs this first, so the README's test command passes on a fresh machine by itself; `.ci/run` too.
set -euo pipefail

# command the tests call -> the Debian package that provides it
declare -A PACKAGE_OF=(
  [openssl]=openssl     # verdicts cross-checked with the openssl command line
  [chromium]=chromium   # report.html and compare.html opened in headless Chromium
  [prlimit]=util-linux  # a broker run with few file descriptors
  [setpriv]=util-linux  # a step run as a user who may not install packages
  [mount]=mount         # a small tmpfs that fills up under a run's output folder
  [mosquitto]=mosquitto # the `mosquitto` broker target (broker/mosquitto/), run under libfaketime
  [mosquitto_pub]=mosquitto-clients  # a client certfleet does not write, against the Mosquitto targets
  [faketime]=faketime   # libfaketime, which moves the certfleet-run Mosquitto's clock
  [redis-server]=redis-server  # the engine that joins agents and broker instances (--redis)
  [redis-cli]=redis-tools      # asking a Redis inside a test's network namespace whether it is up
  [ip]=iproute2         # test hosts in network namespaces (ip netns, veth pairs)
  [ss]=iproute2         # who is connected to a broker on a test host (test/distributed)
)

missing=()
for command in "${!PACKAGE_OF[@]}"; do
  # mosquitto is in /usr/sbin, which a user's PATH may leave out.
  PATH="$PATH:/usr/sbin:/sbin" command -v "$command" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$command]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then sudo="sudo"; else
    echo "certfleet tests need these Debian packages: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
echo "certfleet tests: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
