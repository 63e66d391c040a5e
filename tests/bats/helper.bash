# Common set-up for the bats suites: programs from $MM_BIN, a scratch
# directory per test, no config or model store from the checkout.
bats_load_library bats-support
bats_load_library bats-assert

MM_BIN=${MM_BIN:-$BATS_TEST_DIRNAME/../../bin}
MM_TOP=${MM_TOP:-$BATS_TEST_DIRNAME/../..}
PATH="$MM_BIN:$PATH"
export PATH

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	unset MM_CONFIG MM_MODELS MM_DB
}

# Run a command with stdout and stderr kept apart: $output is stdout,
# $stderr is stderr.
run_split() {
	run --separate-stderr "$@"
}
