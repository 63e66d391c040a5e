#!/bin/sh
# make check-docker: the Docker image end to end, as root.
#
#   scripts/check-docker.sh
#
#  1. installs Debian's docker.io if missing (scripts/deps.sh docker) and
#     starts dockerd if none answers (in the background, its log in the
#     temporary directory; stopped at the end since this script started
#     it);
#  2. a debian:12 base image: the one the engine has, else one pulled
#     from the registry, else, where no registry can be reached, one
#     built here with debootstrap from the Debian mirror apt uses, and
#     imported as debian:12;
#  3. builds the image (MM_IMAGE, default mm:check) from this tree and
#     checks that every program finds its shared libraries there;
#  4. runs a container on two temporary host directories bind-mounted as
#     /var/lib/mm/data and /var/lib/mm/models, trains a model inside it
#     (docker exec ... mm-train), and from the host asks /health (200,
#     "status":"ok") and /metrics (mm_up 1) with curl, and waits for the
#     image's own health check to call it healthy;
#  5. stops it (SIGTERM: mm-serve drains and exits 0), then serves the
#     same directories from a new container, to show that the state
#     outlives the container; removes both and the temporary directories.
#
# The image stays (docker run -p 127.0.0.1:8000:8000 mm:check), and so
# does the debian:12 base; nothing else does.  Exit status: 0 passed,
# 1 a check failed, 3 the engine, the base image or the build could not
# be had.
set -eu
cd "$(dirname "$0")/.."
image=${MM_IMAGE:-mm:check}
case ${1:-} in
'') ;;
-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "check-docker.sh: unknown option '$1'" >&2; exit 2 ;;
esac

say() { echo "check-docker: $*"; }
fail() { echo "check-docker: FAIL: $*" >&2; exit 1; }
now() { date +%s; }

if [ "$(id -u)" != 0 ]; then
	echo "check-docker.sh: run it as root: it installs packages, may" \
	    "start dockerd, and hands the volumes to the image's user" >&2
	exit 3
fi
scripts/deps.sh docker
# The client that came with the engine, where Debian's is installed.
docker=docker
[ -x /usr/bin/docker ] && docker=/usr/bin/docker

tmp=$(mktemp -d /tmp/mm-check-docker.XXXXXX)
dockerd_pid=
names=
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	for n in $names; do
		"$docker" rm -f "$n" >/dev/null 2>&1 || true
	done
	if [ -n "$dockerd_pid" ]; then
		kill "$dockerd_pid" 2>/dev/null || true
		wait "$dockerd_pid" 2>/dev/null || true
		say "stopped the dockerd it started"
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t_start=$(now)
if "$docker" info >/dev/null 2>&1; then
	say "using the running Docker engine"
else
	command -v dockerd >/dev/null || fail "no dockerd after deps.sh"
	dockerd >"$tmp/dockerd.log" 2>&1 &
	dockerd_pid=$!
	i=0
	until "$docker" info >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 60 ] || ! kill -0 "$dockerd_pid" 2>/dev/null; then
			tail -20 "$tmp/dockerd.log" >&2
			echo "check-docker: dockerd did not start" >&2
			exit 3
		fi
		sleep 0.5
	done
	say "started dockerd (pid $dockerd_pid, log $tmp/dockerd.log)"
fi

# The first URI of a Debian archive in apt's sources matching $1 (an
# extended regex on the URI), else $2.
apt_uri() {
	uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	    /etc/apt/sources.list.d/*.sources 2>/dev/null |
	    sed -nE 's/^URIs:[[:space:]]*//p; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//p' |
	    tr -s ' \t' '\n' | grep -E '^https?://' | grep -E "$1" | head -1)
	echo "${uri:-$2}"
}

t0=$(now)
if "$docker" image inspect debian:12 >/dev/null 2>&1; then
	say "base image: debian:12, already in the engine"
elif timeout 120 "$docker" pull -q debian:12 >"$tmp/pull.log" 2>&1; then
	say "base image: debian:12 pulled ($(($(now) - t0)) s)"
else
	say "base image: cannot pull debian:12 ($(tail -1 "$tmp/pull.log"))"
	mirror=$(apt_uri '/debian/?$' http://deb.debian.org/debian)
	security=$(apt_uri 'debian-security/?$' \
	    http://deb.debian.org/debian-security)
	say "building debian:12 with debootstrap from $mirror instead"
	root=$tmp/rootfs
	if ! debootstrap --variant=minbase bookworm "$root" "$mirror" \
	    >"$tmp/debootstrap.log" 2>&1; then
		tail -20 "$tmp/debootstrap.log" >&2
		echo "check-docker: debootstrap failed" >&2
		exit 3
	fi
	# Sources as the registry's image has them.
	rm -f "$root/etc/apt/sources.list"
	cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	rm -rf "${root:?}"/var/cache/apt/archives/*.deb \
	    "${root:?}"/var/lib/apt/lists/* "${root:?}"/dev/*
	find "$root/var/log" -type f -delete
	tar -C "$root" -c . | "$docker" import --change 'CMD ["bash"]' - \
	    debian:12 >/dev/null
	rm -rf "$root"
	say "base image: debian:12 built with debootstrap and imported" \
	    "($(($(now) - t0)) s)"
fi
t_base=$(($(now) - t0))

t0=$(now)
say "building $image (log: $tmp/build.log)"
old=$("$docker" image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
if ! "$docker" build -t "$image" . >"$tmp/build.log" 2>&1; then
	tail -40 "$tmp/build.log" >&2
	echo "check-docker: docker build failed" >&2
	exit 3
fi
# The image this one replaces, unless something still uses it.
if [ -n "$old" ] &&
    [ "$old" != "$("$docker" image inspect -f '{{.Id}}' "$image")" ]; then
	"$docker" rmi "$old" >/dev/null 2>&1 || true
fi
t_build=$(($(now) - t0))
size=$("$docker" image inspect -f '{{.Size}}' "$image")
size_mb=$(((size + 524287) / 1048576))
say "built $image in $t_build s: $size_mb MB"

missing=$("$docker" run --rm --entrypoint sh "$image" -c \
    'for f in /usr/local/bin/mm-*; do ldd "$f" | sed "s|^|$f: |"; done' |
    grep 'not found' || true)
[ -z "$missing" ] || fail "libraries missing in the image:
$missing"
"$docker" run --rm --entrypoint sh "$image" -c \
    'test -x /usr/local/bin/mm-serve &&
    test -f /usr/local/share/man/man1/mm-serve.1 &&
    test -f /etc/mm/drift.yaml && [ "$(id -u)" != 0 ]' ||
    fail "the image lacks mm-serve, the man pages or /etc/mm, or runs as root"
uid=$("$docker" run --rm --entrypoint id "$image" -u)
gid=$("$docker" run --rm --entrypoint id "$image" -g)
say "every program finds its libraries; the image runs as uid $uid"

data=$tmp/data
models=$tmp/models
mkdir -p "$data" "$models"
chown "$uid:$gid" "$data" "$models"
chmod 700 "$data" "$models"
vols="-v $data:/var/lib/mm/data -v $models:/var/lib/mm/models"

# The body of $1's answer to GET $2 into $tmp/body; prints the status.
get() {
	curl -s -m 5 -o "$tmp/body" -w '%{http_code}' "http://$1$2" || true
}

# Waits up to 60 s for $1 to answer 200 on /health; prints the seconds.
wait_health() {
	w0=$(now)
	until [ "$(get "$1" /health)" = 200 ]; do
		[ $(($(now) - w0)) -lt 60 ] || return 1
		sleep 0.5
	done
	echo $(($(now) - w0))
}

# Runs a container named $1 from the image's own command; prints the
# host address its port 8000 is published on.
serve() {
	names="$names $1"
	# shellcheck disable=SC2086
	"$docker" run -d --name "$1" -p 127.0.0.1::8000 $vols \
	    --health-interval 2s --health-start-period 2s "$image" >/dev/null
	i=0
	until addr=$("$docker" port "$1" 8000/tcp 2>/dev/null | head -1) &&
	    [ -n "$addr" ]; do
		i=$((i + 1))
		[ $i -lt 20 ] || return 1
		sleep 0.5
	done
	echo "$addr"
}

t0=$(now)
c=mm-check-docker-$$
addr=$(serve "$c") || { "$docker" logs "$c" >&2 || true; fail "no container"; }
say "container $c serving on $addr"
"$docker" exec "$c" mm-train --synthetic --models /var/lib/mm/models \
    >"$tmp/train.json" || { "$docker" logs "$c" >&2; fail "mm-train failed"; }
[ -f "$models/active.json" ] ||
    fail "the model is not in the host directory $models"
version=$(sed -nE 's/.*"version":"([^"]*)".*/\1/p' "$tmp/train.json")
say "trained $version inside the container, in $models on the host"

if ! secs=$(wait_health "$addr"); then
	"$docker" logs "$c" >&2
	fail "/health did not answer 200 within 60 s (last: $(cat "$tmp/body" 2>/dev/null))"
fi
grep -q '"status":"ok"' "$tmp/body" ||
    fail "/health: no \"status\":\"ok\" in $(cat "$tmp/body")"
say "GET /health: 200 after $secs s: $(head -c 200 "$tmp/body")"
code=$(get "$addr" /metrics)
[ "$code" = 200 ] || fail "/metrics answered $code"
grep -q '^mm_up 1$' "$tmp/body" || fail "/metrics: no 'mm_up 1' in:
$(head -20 "$tmp/body")"
say "GET /metrics: 200, mm_up 1 ($(grep -c '^mm_' "$tmp/body") samples)"

i=0
until [ "$("$docker" inspect -f '{{.State.Health.Status}}' "$c")" = healthy ]; do
	i=$((i + 1))
	[ $i -lt 60 ] || fail "the image's health check: $("$docker" inspect -f '{{json .State.Health}}' "$c")"
	sleep 0.5
done
say "the image's health check: healthy"

t1=$(now)
"$docker" stop -t 30 "$c" >/dev/null
st=$("$docker" inspect -f '{{.State.ExitCode}}' "$c")
[ "$st" = 0 ] || { "$docker" logs "$c" >&2; fail "mm-serve exited $st on SIGTERM"; }
say "docker stop: mm-serve exited 0 in $(($(now) - t1)) s"
"$docker" logs "$c" >"$tmp/serve.log" 2>&1 || true
"$docker" rm "$c" >/dev/null

c2=$c-again
addr=$(serve "$c2") || fail "no second container"
wait_health "$addr" >/dev/null || { "$docker" logs "$c2" >&2;
    fail "a new container on the same directories: no 200 on /health"; }
"$docker" exec "$c2" mm-models --models /var/lib/mm/models list |
    grep -q "$version" || fail "$version is gone in a new container"
[ -d "$data/metrics" ] && db=", database $(ls "$data/metrics" | head -1)" || db=
say "a new container on the same directories: 200 on /health, $version" \
    "still there$db"
"$docker" rm -f "$c2" >/dev/null
t_run=$(($(now) - t0))

say "ok: $image $size_mb MB; base image $t_base s, build $t_build s," \
    "containers $t_run s, $(($(now) - t_start)) s in all"
