#!/usr/bin/env bats
# make lint's rule for the pure modules (PURE in the Makefile, the rule
# in scripts/lint.sh): the tree passes it, and a copy of the tree with a
# violation planted fails it, naming the file and the line.

load helper

# A copy of what the rule reads: the Makefile, lib/ and the script.
copy_tree() {
	mkdir -p t/scripts
	cp "$MM_TOP/Makefile" t/
	cp -r "$MM_TOP/lib" t/
	cp "$MM_TOP/scripts/lint.sh" t/scripts/
}

@test "the tree's pure modules pass the rule" {
	run env -u PURE "$MM_TOP/scripts/lint.sh" pure
	assert_success
	assert_output "lint: ok"
}

@test "make lint hands the Makefile's PURE to the rule" {
	run make -s -n -C "$MM_TOP" lint
	assert_success
	assert_output --regexp 'PURE="[^"]*lib/policy\.c[^"]*" scripts/lint\.sh'
	assert_output --regexp 'PURE="[^"]*lib/train\.c[^"]*" scripts/lint\.sh'
}

@test "a pure module that includes <stdio.h> fails, by file and line" {
	copy_tree
	sed -i '1a #include <stdio.h>' t/lib/policy.c
	run env -u PURE t/scripts/lint.sh pure
	assert_failure
	assert_output "lint: lib/policy.c:2: pure module includes <stdio.h>"
}

@test "a pure module that calls time() fails, by file and line" {
	copy_tree
	n=$(($(wc -l <t/lib/trust.c) + 5))
	cat >>t/lib/trust.c <<-'EOF'

		double	planted(void);

		double
		planted(void) { return (double)time(NULL); }
	EOF
	run env -u PURE t/scripts/lint.sh pure
	assert_failure
	assert_output "lint: lib/trust.c:$n: pure module reads the clock (time)"
}

@test "a pure module's header counts, and so does every banned header" {
	copy_tree
	sed -i '/^#include <stdint.h>/a #include <time.h>' t/lib/rng.h
	sed -i '1a #include <jansson.h>\n#include <sqlite3.h>\n#include <unistd.h>' \
	    t/lib/metrics.c
	run env -u PURE t/scripts/lint.sh pure
	assert_failure
	assert_line "lint: lib/metrics.c:2: pure module includes <jansson.h>"
	assert_line "lint: lib/metrics.c:3: pure module includes <sqlite3.h>"
	assert_line "lint: lib/metrics.c:4: pure module includes <unistd.h>"
	assert_line --regexp '^lint: lib/rng\.h:[0-9]+: pure module includes <time\.h>$'
}

@test "the clock, I/O and the system, however called" {
	copy_tree
	cat >>t/lib/forest.c <<-'EOF'
		double	planted(void);
		double
		planted(void)
		{
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			fprintf(stderr, "%s", getenv("HOME"));
			return mm_clock (NULL) + mm_clock_sec(NULL);
		}
	EOF
	run env -u PURE t/scripts/lint.sh pure
	assert_failure
	assert_line --regexp '^lint: lib/forest\.c:[0-9]+: pure module reads the clock \(clock_gettime\)$'
	assert_line --regexp '^lint: lib/forest\.c:[0-9]+: pure module does I/O \(fprintf\)$'
	assert_line --regexp '^lint: lib/forest\.c:[0-9]+: pure module asks the system \(getenv\)$'
	assert_line --regexp '^lint: lib/forest\.c:[0-9]+: pure module reads the clock \(mm_clock\)$'
	assert_line --regexp '^lint: lib/forest\.c:[0-9]+: pure module reads the clock \(mm_clock_sec\)$'
}

@test "comments, strings and a clock passed in are not the clock" {
	copy_tree
	cat >>t/lib/rng.c <<-'EOF'
		/*
		 * time(NULL) would be the clock; #include <stdio.h> too.
		 */
		const char *planted_s = "time(NULL) and fopen(\"x\")";	/* time() */
		double	planted(double (*clock)(void));
		double
		planted(double (*clock)(void))
		{
			struct { double (*clock)(void); } j = { clock };

			return j.clock();	// time(NULL)
		}
	EOF
	run env -u PURE t/scripts/lint.sh pure
	assert_success
	assert_output "lint: ok"
}

@test "PURE overrides the Makefile's list; a name not there is an error" {
	run env PURE="lib/store.c lib/nonesuch.c" "$MM_TOP/scripts/lint.sh" pure
	assert_failure
	assert_line --regexp '^lint: lib/store\.c:[0-9]+: pure module includes <stdio\.h>$'
	assert_line "lint: PURE names lib/nonesuch.c, which does not exist"
}

@test "a line longer than 80 columns counts tabs as 8 columns" {
	copy_tree
	cp -r "$MM_TOP/cmd" "$MM_TOP/man" t/
	n=$(($(wc -l <t/lib/rng.c) + 1))
	# 72 characters after two tabs: 88 columns, though 74 bytes.
	printf '\t\t/* %s */\n' "$(printf 'x%.0s' $(seq 66))" >>t/lib/rng.c
	run env -u PURE t/scripts/lint.sh
	assert_failure
	assert_output "lint: lib/rng.c:$n: line longer than 80 columns"
}
