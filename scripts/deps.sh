#!/bin/sh
# Install the Debian packages mm needs, only those missing. Idempotent.
# Usage: scripts/deps.sh [build|test|verify|bench|fuzz|docker|all]   (default: test)
set -eu

want=${1:-test}

# libpq-dev: --db postgresql://... (lib/pg.c).
build="gcc g++ make libfast-float-dev pkg-config libjansson-dev libyaml-dev libsqlite3-dev sqlite3 nettle-dev libgsl-dev libmicrohttpd-dev libpq-dev"
test="$build curl prometheus valgrind chromium bats bats-assert bats-support libcmocka-dev mandoc perl python3 python3-numpy python3-scipy python3-sklearn"
# postgresql: the throwaway clusters of tests/pg.sh (its server binaries).
test="$test postgresql"
# parallel: GNU parallel, for the sharding recipe of mm-psi(1) (its
# EXAMPLES, run by tests/bats/man.bats) and tests/bats/shard.bats.
test="$test parallel"
verify="$test"
# wrk, python3-fastapi and python3-uvicorn: bench/serve.sh and its peer.
bench="$verify hyperfine time wrk python3-fastapi python3-uvicorn"
# clang with libFuzzer and the sanitizer runtimes, for make fuzz.
fuzz="$build clang libclang-rt-14-dev"
# make check-docker: the engine, curl for the checks, and debootstrap for
# a debian:12 base image where no registry can be reached.
docker="docker.io curl debootstrap"

case $want in
build) pkgs=$build ;;
test) pkgs=$test ;;
verify) pkgs=$verify ;;
bench|all) pkgs=$bench ;;
fuzz) pkgs=$fuzz ;;
docker) pkgs=$docker ;;
*) echo "deps.sh: unknown set '$want' (build, test, verify, bench, fuzz, docker, all)" >&2; exit 2 ;;
esac

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

# make -j runs deps and deps-test at once: one installs at a time, and
# the other looks again at what is missing once the first is done.
if [ -z "${MM_DEPS_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
	MM_DEPS_LOCKED=1 exec flock "${TMPDIR:-/tmp}/mm-deps.lock" "$0" "$@"
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$missing" >&2
	echo "deps.sh: run as root, or: sudo apt-get install$missing" >&2
	exit 3
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null || true
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
