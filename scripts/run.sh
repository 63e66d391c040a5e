#!/bin/sh
# make run: mm-serve in the foreground on the simulation's database and
# model store (those scripts/sim.sh writes: data/sim/metrics.db and
# data/sim/models, with its configuration in data/sim/config), so the
# server shows what the last `make sim` left.  A first model is trained
# there, as sim.sh trains it, when the store has no active version.
#
#   scripts/run.sh [mm-serve option...]
#
# LISTEN (default 127.0.0.1:8000) is the address to listen on; MM_BIN
# the programs' directory (default bin/); MM_SIM_DIR the simulation's
# directory (default data/sim).  Other options go to mm-serve as they
# are, --key-file FILE among them.  Ctrl-C or SIGTERM stops the server.
set -eu
cd "$(dirname "$0")/.."
bin=${MM_BIN:-$PWD/bin}
dir=${MM_SIM_DIR:-data/sim}
listen=${LISTEN:-127.0.0.1:8000}

if [ ! -x "$bin/mm-serve" ]; then
	echo "run.sh: no $bin/mm-serve; build it first (make)" >&2
	exit 3
fi
models=$dir/models
if [ ! -f "$models/active.json" ]; then
	mkdir -p "$dir"
	# The same first model as sim.sh's, an hour or so before its batches.
	"$bin/mm-train" --synthetic --rows 5000 --seed 1 --models "$models" \
	    --now 1764132800 >"$dir/train.json"
	echo "run.sh: trained a first model into $models" >&2
fi
# sim.sh's configuration when it has left one, else the defaults.
cfg=$dir/config
[ -d "$cfg" ] || cfg=config

echo "run.sh: mm-serve on http://$listen/ (database $dir/metrics.db," \
    "models $models, config $cfg); Ctrl-C stops it" >&2
exec "$bin/mm-serve" --db "$dir/metrics.db" --models "$models" \
    --config "$cfg" --listen "$listen" "$@"
