#!/usr/bin/env bats
# mm-psi: --fit (numeric, discrete and categorical bins), PSI per batch,
# missing values, --window, the test and Benjamini-Hochberg, --threshold,
# --fail-on, the model store, --counts and --merge.  Bad input is in
# errors.bats.
#
# Expected numbers were computed apart from mm, with numpy and scipy
# (python3; scripts/verify_psi.py does the same at scale): shares
# smoothed with 0.5 in each of the K bins not empty in both,
#   PSI = sum (a_i - e_i) ln(a_i / e_i),  a_i = (c_i + .5) / (N + .5K)
#   psi_adj = max(0, PSI - (K - 1)(1/M + 1/N))
#   psi_crit = scipy.stats.chi2.isf(alpha, K - 1) * (1/M + 1/N)
#   p_value = scipy.stats.chi2_contingency([r, c], correction=False)
#             when every expected count is at least 5, and for two bins
#             the two-sided hypergeometric tail (scipy.stats.hypergeom).
# mm's p-values agree with scipy's to 1e-13 relative; the literals are
# mm's last digits.  Tables with small expected counts and more than two
# bins get a Monte Carlo p-value seeded by the counts: equal counts give
# equal p-values; verify.bats checks those statistically.

load helper
bats_require_minimum_version 1.5.0

# The training sample: a = 1..10, c = 5 (one distinct value).  With four
# bins, numpy's linear quantiles of a at 0, .25, .5, .75, 1 sit at the
# virtual indexes 9q = 0, 2.25, 4.5, 6.75, 9 of the sorted sample:
#   1, 3 + .25 * 1 = 3.25, 5 + .5 * 1 = 5.5, 7 + .75 * 1 = 7.75, 10
# Bin counts (outer bins open): {1,2,3} {4,5} {6,7} {8,9,10} = 3,2,2,3,
# and 0 in the missing bin.  c has one distinct value, at most 4: it is
# discrete, with bins "5", other and missing = 10,0,0.  The id is the
# first 16 hex digits of sha256 of the "features" array as written
# (python3 hashlib).
TRAIN='{"batch_id":"t","features":{"a":[1,2,3,4,5,6,7,8,9,10],"c":[5,5,5,5,5,5,5,5,5,5]}}'
REF='{"format":"mm-reference/2","id":"294f20f79048a3a7","bins":4,"max_categories":20,"rows":10,"features":[{"name":"a","kind":"numeric","n":10,"edges":[1,3.25,5.5,7.75,10],"counts":[3,2,2,3,0]},{"name":"c","kind":"discrete","n":10,"values":[5],"counts":[10,0,0]}]}'

# A batch of ten rows against REF: a falls in the bins 4,3,1,2,0 times
# ({1,2,2,3} {4,5,5} {6} {8,10}); the missing bin is empty in both, so
# K = 4, M = N = 10:
#   a_i = (4.5, 3.5, 1.5, 2.5) / 12, e_i = (3.5, 2.5, 2.5, 3.5) / 12
#   PSI(a) = (ln(4.5/3.5) + ln(3.5/2.5) + ln(2.5/1.5) + ln(3.5/2.5)) / 12
#          = (.25131 + .33647 + .51083 + .33647) / 12 = .119590
#   psi_adj = max(0, .119590 - 3 * (1/10 + 1/10)) = 0
#   psi_crit = 11.34487 * .2 = 2.268973
# Pearson's statistic of [3,2,2,3] against [4,3,1,2] is the smallest any
# table with these margins has, so p = 1 exactly (every Monte Carlo
# table is as extreme).  c uses one bin: PSI 0, p 1, psi_crit null.
B1='{"batch_id":"b1","features":{"a":[1,2,2,3,4,5,5,6,8,10],"c":[5,5,5,5,5,5,5,5,5,5]}}'
D1='{"psi":{"a":0.11959037710744355,"c":0},"psi_adj":{"a":0,"c":0},"p_value":{"a":1,"c":1},"psi_crit":{"a":2.2689733460288735,"c":null},"drifted":[],"drift_score":0,"status":"stable","n":10,"missing":{"a":0,"c":0},"ref":"294f20f79048a3a7","counts":{"a":[4,3,1,2,0],"c":[10,0,0]}}'

# Two-row batches against REF, for --window:
#   b1 a=[1,2]  -> counts 2,0,0,0     b2 a=[9,10] -> 0,0,0,2
#   b3 a=[5,6]  -> 0,1,1,0
W1='{"batch_id":"w1","features":{"a":[1,2],"c":[5,5]}}'
W2='{"batch_id":"w2","features":{"a":[9,10],"c":[5,5]}}'
W3='{"batch_id":"w3","features":{"a":[5,6],"c":[5,5]}}'

make_ref() {
	printf '%s\n' "$TRAIN" >train.ndjson
	printf '%s\n' "$REF" >ref.json
}

# The helpers below set variables where they used to print: a $(...) of
# a function, or of awk, seq, sed or grep, costs one to three processes,
# and these tests make a few hundred of them.

# A reference of 1..1000 in four bins: edges 1, 250.75, 500.5, 750.25,
# 1000 (virtual indexes 999q = 249.75, 499.5, 749.25), 250 values in
# each bin, M = 1000.  Features a and b, or only a when given "a".
make_ref1000() {
	local v rec

	printf -v v '%s,' {1..1000}
	v=${v%,}
	if [ "${1:-}" = a ]; then
		printf -v rec '{"batch_id":"t","features":{"a":[%s]}}' "$v"
	else
		printf -v rec '{"batch_id":"t","features":{"a":[%s],"b":[%s]}}' \
		    "$v" "$v"
	fi
	mm-psi --fit --bins 4 <<<"$rec" >ref1000.json
}

# vals VAR W C0 C1 C2 C3 [NULLS]: in VAR, C_i values in bin i of a
# reference of 1..4W in four bins (bin i holds iW+1 .. iW+W), then NULLS
# nulls, comma-separated.  awk makes them: in a bash loop every command
# pays for bats' DEBUG trap, and a few hundred values cost more than
# awk's one process (a $(...) of awk alone, not of a function, forks
# once).
vals() {
	local -n _vals=$1

	shift
	_vals=$(awk -v s="$*" 'BEGIN {
		split(s, c, " "); w = c[1]; o = ""
		for (i = 2; i <= 5; i++)
			for (j = 0; j < c[i]; j++)
				o = o (o == "" ? "" : ",") w * (i - 2) + 1 + (j * 37) % w
		for (j = 0; j < c[6]; j++)
			o = o (o == "" ? "" : ",") "null"
		print o
	}')
}

# rep VAR V1 N1 V2 N2 ...: in VAR, V1 N1 times, then V2 N2 times,
# comma-separated.  (Its locals start with _, not to hide the caller's
# VAR.)
rep() {
	local -n _rep=$1
	local _pad _all=

	shift
	while (($# >= 2)); do
		# N spaces, each then made "V,".
		printf -v _pad '%*s' "$2" ''
		_all+=${_pad// /"$1,"}
		shift 2
	done
	_rep=${_all%,}
}

# A reference of 200 rows with a numeric, a constant and a categorical
# feature: n = 1..200 (edges 1, 50.75, 100.5, 150.25, 200, 50 values a
# bin), c = 5 (discrete: "5", other, missing), s = "x" 100 times, "y" 60,
# "z" 40 (categorical: x, y, z, other, missing).  M = 200.
make_ref200() {
	local n c s rec

	printf -v n '%s,' {1..200}
	rep c 5 200
	rep s '"x"' 100 '"y"' 60 '"z"' 40
	printf -v rec '{"batch_id":"t","features":{"n":[%s],"c":[%s],"s":[%s]}}' \
	    "${n%,}" "$c" "$s"
	mm-psi --fit --bins 4 <<<"$rec" >ref200.json
}

# drift_of TEXT: in $drift, each line of TEXT without what comes before
# its drift object and the closing brace after it (as sed 's/.*,"drift"://;
# s/}$//' did).
drift_of() {
	local line before text=()

	mapfile -t text <<<"$1"
	drift=
	for line in "${text[@]}"; do
		# After the last ,"drift": (${line##*,\"drift\":} would do,
		# but takes bash seconds on a record of 20000 values: it
		# tries every prefix).
		if [[ $line == *',"drift":'* ]]; then
			before=${line%,\"drift\":*}
			line=${line:${#before} + 9}
		fi
		drift+=${line%\}}$'\n'
	done
	drift=${drift%$'\n'}
}

# field KEY...: in $field, the value of KEY (an object of numbers, an
# array or a scalar) in each line of $output, one a line; the values of
# several KEYs space-separated.
field() {
	local key values all=()

	for key; do
		grep_o "\"$key\":(\{[^}]*\}|\[[^]]*\]|[^],}]*)" "$output"
		printf -v values '%s\n' "${matched[@]#\"$key\":}"
		all+=("${values%$'\n'}")
	done
	field=${all[*]}
}

# lines_in TEXT: in $n, the lines of TEXT as wc -l <<<"TEXT" counts them.
lines_in() {
	local newlines=${1//[!$'\n']/}

	n=$((${#newlines} + 1))
}

# --fit

@test "--fit writes numpy quantile edges and counts with a missing bin; a constant is discrete" {
	make_ref
	run_split mm-psi --fit --bins 4 train.ndjson
	assert_success
	assert_output "$REF"
	assert_equal "$stderr" ""
}

@test "--fit pools records, gives a point mass a bin of its own, reads -0 as 0 and counts missing values" {
	# x sorted = 1,1,1,1,1,1,2,3,4,5 (five distinct values, more than
	# four: numeric): quantiles at 9q = 0, 2.25, 4.5, 6.75, 9 are 1, 1,
	# 1, 2 + .75 * 1 = 2.75, 5.  1 is a point mass (two quantiles share
	# it): the edge nextafter(1, inf) = 1 + 2^-52 = 1.0000000000000002
	# (python3 math.nextafter) follows it once, and the third 1 adds
	# nothing.  Edges 1, 1.0000000000000002, 2.75, 5 and three bins
	# {1 x6} {2} {3,4,5} = 6,1,3, missing 0.
	# k is constant: discrete, 10 in "7".
	# m without its two nulls = -1,.5,2,3,4,5,6,7: 7q = 1.75, 3.5, 5.25
	# give .5 + .75 * 1.5 = 1.625, 3.5, 5.25; two values in each bin and
	# two in missing.
	# d = 0,1,-0,2,2,2,1,0,0 and a null: three distinct values (-0 is
	# 0), discrete: "0" 4, "1" 2, "2" 3, other 0, missing 1.
	# id: sha256 of the features array, as above.
	printf '%s\n' \
	    '{"batch_id":"r1","features":{"x":[1,1,1,1,1],"k":[7,7,7,7,7],"m":[null,0.5,2,null,-1],"d":[0,1,-0,2,null]}}' \
	    '{"batch_id":"r2","features":{"x":[1,2,3,4,5],"k":[7,7,7,7,7],"m":[3,4,5,6,7],"d":[2,2,1,0,0]}}' \
	    >fit.ndjson
	run_split mm-psi --fit --bins 4 fit.ndjson
	assert_success
	assert_output '{"format":"mm-reference/2","id":"d7ea324fb5b09738","bins":4,"max_categories":20,"rows":10,"features":[{"name":"x","kind":"numeric","n":10,"edges":[1,1.0000000000000002,2.75,5],"counts":[6,1,3,0]},{"name":"k","kind":"discrete","n":10,"values":[7],"counts":[10,0,0]},{"name":"m","kind":"numeric","n":10,"edges":[-1,1.625,3.5,5.25,7],"counts":[2,2,2,2,2]},{"name":"d","kind":"discrete","n":10,"values":[0,1,2],"counts":[4,2,3,0,1]}]}'
	assert_equal "$stderr" ""
}

@test "--fit: strings are categorical, the max_categories most frequent first, ties in byte order" {
	# s = b,a,c,a,b,d,null,c,a,"\u00e9": a 3, b 2, c 2, d 1, é 1.  Ties
	# go by byte order: b before c, d (0x64) before é (0xc3 0xa9).
	# Bins: a, b, c, d, é, other, missing = 3,2,2,1,1,0,1.
	printf '%s\n' \
	    '{"batch_id":"r1","features":{"s":["b","a","c","a","b"]}}' \
	    '{"batch_id":"r2","features":{"s":["d",null,"c","a","\u00e9"]}}' \
	    >fit.ndjson
	run_split mm-psi --fit fit.ndjson
	assert_success
	assert_output '{"format":"mm-reference/2","id":"34fc26493affc8c4","bins":10,"max_categories":20,"rows":10,"features":[{"name":"s","kind":"categorical","n":10,"categories":["a","b","c","d","é"],"counts":[3,2,2,1,1,0,1]}]}'
	assert_equal "$stderr" ""

	# max_categories: 2 keeps a and b; c, d and é go to other (4).
	mkdir conf
	printf 'max_categories: 2\n' >conf/drift.yaml
	run_split mm-psi --fit --config conf fit.ndjson
	assert_success
	assert_output '{"format":"mm-reference/2","id":"f07f6dd00bbf8f1d","bins":10,"max_categories":2,"rows":10,"features":[{"name":"s","kind":"categorical","n":10,"categories":["a","b"],"counts":[3,2,4,1]}]}'
	assert_equal "$stderr" ""
}

@test "--fit: a reference of strings alone records the bins configured" {
	# No numeric feature to take bins from: "bins" is still the value
	# --fit ran with (it was 0), and the id, of the features alone
	# (sha256 of [{"name":"s","kind":"categorical","n":3,
	# "categories":["a","b"],"counts":[2,1,0,0]}]), is the same for all.
	printf '{"batch_id":"r","features":{"s":["a","b","a"]}}\n' >fit.ndjson
	run_split mm-psi --fit fit.ndjson
	assert_success
	assert_output '{"format":"mm-reference/2","id":"d3f3dc53d85bc2d1","bins":10,"max_categories":20,"rows":3,"features":[{"name":"s","kind":"categorical","n":3,"categories":["a","b"],"counts":[2,1,0,0]}]}'
	assert_equal "$stderr" ""

	run_split mm-psi --fit --bins 4 fit.ndjson
	assert_success
	assert_output '{"format":"mm-reference/2","id":"d3f3dc53d85bc2d1","bins":4,"max_categories":20,"rows":3,"features":[{"name":"s","kind":"categorical","n":3,"categories":["a","b"],"counts":[2,1,0,0]}]}'

	mkdir conf
	printf 'bins: 7\n' >conf/drift.yaml
	run_split mm-psi --fit --config conf fit.ndjson
	assert_success
	field bins
	assert_equal "$field" 7
	field id
	assert_equal "$field" '"d3f3dc53d85bc2d1"'
	assert_equal "$stderr" ""
}

@test "--fit: at most 'bins' distinct values are discrete, more get quantile bins" {
	# Four bins.  d = 1,2,3,4,1,2,3,4,1: four distinct values, one bin
	# each (3,2,2,2), other and missing.  q = 1,2,3,4,5,1,2,3,4: five,
	# so numeric: sorted 1,1,2,2,3,3,4,4,5 at 8q = 0, 2, 4, 6, 8 gives
	# edges 1..5, bins {1,1} {2,2} {3,3} {4,4,5} = 2,2,2,3, missing 0.
	printf '{"batch_id":"t","features":{"d":[1,2,3,4,1,2,3,4,1],"q":[1,2,3,4,5,1,2,3,4]}}\n' \
	    >t.ndjson
	run_split mm-psi --fit --bins 4 t.ndjson
	assert_success
	assert_output '{"format":"mm-reference/2","id":"6798b85f6ad4adbe","bins":4,"max_categories":20,"rows":9,"features":[{"name":"d","kind":"discrete","n":9,"values":[1,2,3,4],"counts":[3,2,2,2,0,0]},{"name":"q","kind":"numeric","n":9,"edges":[1,2,3,4,5],"counts":[2,2,2,3,0]}]}'
	assert_equal "$stderr" ""
}

@test "--fit takes bins from drift.yaml of --config, MM_CONFIG or ./config" {
	make_ref
	mkdir conf
	printf '# four bins\nbins: 4\n' >conf/drift.yaml
	run_split mm-psi --fit --config conf train.ndjson
	assert_success
	assert_output "$REF"
	assert_equal "$stderr" ""

	MM_CONFIG=conf run_split mm-psi --fit train.ndjson
	assert_success
	assert_output "$REF"

	mkdir config
	cp conf/drift.yaml config/
	run_split mm-psi --fit train.ndjson
	assert_success
	assert_output "$REF"
}

@test "--fit: --bins wins over drift.yaml" {
	make_ref
	mkdir conf
	printf 'bins: 4\n' >conf/drift.yaml
	# Two bins: the median at 9 * .5 = 4.5 is 5 + .5 * 1 = 5.5.
	run_split mm-psi --fit --bins 2 --config conf train.ndjson
	assert_success
	grep_o '"edges":\[[^]]*\]' "$output"
	[ "${matched[*]}" = '"edges":[1,5.5,10]' ]
	assert_equal "$stderr" ""
}

# PSI

@test "PSI: a hand-computed batch of 200 rows, every number derived" {
	make_ref1000
	# a: 90,45,35,30 against 250 each (M = 1000, N = 200, K = 4):
	#   a_i = (90.5, 45.5, 35.5, 30.5) / 202, e_i = 250.5 / 1002 = .25
	#   PSI = .19420, psi_adj = .19420 - 3 * (1/1000 + 1/200) = .17620
	#   chi2_contingency: statistic 35.043, 3 df, p = 1.19282e-7
	# b: 110,40,30,20: PSI = .42733, psi_adj = .40933, statistic
	#   75.534, p = 2.78435e-16.
	# psi_crit = 11.34487 * .006 = .068069 for both.  BH over two
	# p-values: both far below .01 / 2.  Both drifted, b first (larger
	# psi_adj); b is severe (>= .2), a moderate; drift_score = mean
	# psi_adj = .29276; status severe.
	vals a 250 90 45 35 30
	vals b 250 110 40 30 20
	printf '{"batch_id":"h","features":{"a":[%s],"b":[%s]}}\n' "$a" "$b" \
	    >h.ndjson
	run_split mm-psi --ref ref1000.json h.ndjson
	assert_success
	drift_of "$output"
	assert_equal "$drift" '{"psi":{"a":0.19419756573743974,"b":0.42732985772151155},"psi_adj":{"a":0.17619756573743972,"b":0.40932985772151154},"p_value":{"a":1.192817989851983e-07,"b":2.7843492485258475e-16},"psi_crit":{"a":0.06806920038086621,"b":0.06806920038086621},"drifted":["b","a"],"drift_score":0.29276371172947563,"status":"severe","n":200,"missing":{"a":0,"b":0},"ref":"35ec4fdc2493d9d5","counts":{"a":[90,45,35,30,0],"b":[110,40,30,20,0]}}'
	assert_equal "$stderr" ""
}

@test "PSI: the drift object of a small batch" {
	make_ref
	run_split mm-psi --ref ref.json <<<"$B1"
	assert_success
	assert_output "${B1%\}},\"drift\":$D1}"
	assert_equal "$stderr" ""
}

@test "PSI: other fields pass through byte for byte; drift is replaced in place" {
	make_ref
	# The same values as B1, written differently; the old drift sits
	# between other fields and is replaced where it stands.
	in='{ "z":[1, 2] , "batch_id" : "b1","x":1.50,"e":1e-7,"features":{"c":[5,5,5,5,5.0,5,5,5,5,5e0],"a":[1.0,2,2,3,4,5,5,6,8,10]},"drift":{"old":true} ,"u":{"k":[null,"s\"}"]},"n":-0.0}'
	run_split mm-psi --ref ref.json <<<"$in"
	assert_success
	assert_output "${in/\"drift\":\{\"old\":true\}/\"drift\":$D1}"
	assert_equal "$stderr" ""
}

@test "PSI: nulls fall in the missing bin, compared like any other bin" {
	make_ref
	# a: B1's values and two nulls: 4,3,1,2 and 2 missing against
	# 3,2,2,3,0; K = 5, M = 10, N = 12:
	#   a_i = (4.5, 3.5, 1.5, 2.5, 2.5) / 14.5,
	#   e_i = (3.5, 2.5, 2.5, 3.5, .5) / 12.5
	#   PSI = .32018, psi_adj = max(0, .32018 - 4 * (1/10 + 1/12)) = 0
	#   p (Monte Carlo): .625; numpy, 1e6 tables: .7146.
	# c: 11 "5" and one null against 10,0,0; K = 2:
	#   PSI = (11.5/13 - 10.5/11) ln((11.5/13)/(10.5/11)) + (1.5/13 -
	#   .5/11) ln((1.5/13)/(.5/11)) = .070464; exact p = 1 (a count of
	#   one null is as near its expectation, 12/22 * 1 = .545, as can be).
	# n counts every row.
	run_split mm-psi --ref ref.json <<<'{"batch_id":"b","features":{"a":[1,null,2,2,3,4,5,5,6,8,10,null],"c":[5,5,5,5,5,5,5,5,5,null,5,5]}}'
	assert_success
	drift_of "$output"
	assert_equal "$drift" '{"psi":{"a":0.3201817272200882,"c":0.07046437136100582},"psi_adj":{"a":0,"c":0},"p_value":{"a":0.625,"c":1},"psi_crit":{"a":2.434062424931064,"c":1.2163977101872228},"drifted":[],"drift_score":0,"status":"stable","n":12,"missing":{"a":2,"c":1},"ref":"294f20f79048a3a7","counts":{"a":[4,3,1,2,2],"c":[11,0,1]}}'
	assert_equal "$stderr" ""
}

@test "PSI: values outside the training range fall in the outer bins, new values in other" {
	make_ref
	# a = -5, 0 | 11, 100 and two nulls: 2,0,0,2,2.  c = 5,5,5 | 4,6
	# (never seen: other) and a null: 3,2,1.
	in='{"batch_id":"b","features":{"a":[null,-5,0,11,100,null],"c":[5,null,5,4,6,5]}}'
	run_split mm-psi --ref ref.json --counts <<<"$in"
	assert_success
	assert_output '{"batch_id":"b","counts":{"ref":"294f20f79048a3a7","n":6,"bins":{"a":[2,0,0,2,2],"c":[3,2,1]}}}'
	assert_equal "$stderr" ""
}

@test "PSI: features not in the reference are ignored with one warning per run" {
	make_ref
	x=',"x":[0,0,0,0,0,0,0,0,0,0],"y":[1,1,1,1,1,1,1,1,1,1]'
	r1="${B1%\}\}}$x}}"
	printf '%s\n' "$r1" "$r1" >one.ndjson
	printf '%s\n' "$r1" >two.ndjson
	run_split mm-psi --ref ref.json one.ndjson two.ndjson
	assert_success
	assert_output "${r1%\}},\"drift\":$D1}
${r1%\}},\"drift\":$D1}
${r1%\}},\"drift\":$D1}"
	assert_equal "$stderr" \
	    "mm-psi: ignoring features not in the reference, such as 'x'"
}

@test "PSI: features are matched by name, in any order" {
	make_ref
	run_split mm-psi --ref ref.json <<<'{"batch_id":"b1","features":{"c":[5,5,5,5,5,5,5,5,5,5],"a":[10,8,6,5,5,4,3,2,2,1]}}'
	assert_success
	drift_of "$output"
	[ "$drift" = "$D1" ]
	assert_equal "$stderr" ""
}

@test "PSI: strings are counted by category; a new one falls in other and is flagged" {
	make_ref200
	# 64 rows.  n: 16 in each bin, c: all 5 (PSI 0).  s: x 20, y 12,
	# z 8 and 24 of "w", never seen: other.  s against 100,60,40,0
	# (K = 4, M = 200, N = 64):
	#   PSI = 2.01780, psi_adj = 2.01780 - 3 * (1/200 + 1/64) = 1.95592
	#   every expected count >= 5 (other: 64 * 24/264 = 5.8):
	#   chi2_contingency p = 8.9267e-18
	# n: PSI 0, p 1.  drift_score = 1.95592 / 3 = .65197.
	vals n 50 16 16 16 16
	rep c 5 64
	rep s '"x"' 20 '"y"' 12 '"z"' 8 '"w"' 24
	printf '{"batch_id":"s","features":{"n":[%s],"c":[%s],"s":[%s]}}\n' \
	    "$n" "$c" "$s" >s.ndjson
	run_split mm-psi --ref ref200.json s.ndjson
	assert_success
	drift_of "$output"
	assert_equal "$drift" '{"psi":{"n":0,"c":0,"s":2.017795909926982},"psi_adj":{"n":0,"c":0,"s":1.9559209099269823},"p_value":{"n":1,"c":1,"s":8.926707408955881e-18},"psi_crit":{"n":0.2339878763092276,"c":null,"s":0.2339878763092276},"drifted":["s"],"drift_score":0.6519736366423274,"status":"severe","n":64,"missing":{"n":0,"c":0,"s":0},"ref":"04a4dd5bdafce393","counts":{"n":[16,16,16,16,0],"c":[64,0,0],"s":[20,12,8,24,0]}}'
	assert_equal "$stderr" ""
}

@test "PSI: half the values missing is flagged" {
	make_ref200
	# n: 8 in each bin and 32 nulls against 50,50,50,50,0 (K = 5):
	#   PSI = 2.89626, psi_adj = 2.89626 - 4 * (1/200 + 1/64) = 2.81376
	#   expected missing counts 24.2 and 7.8: chi2_contingency,
	#   p = 1.12926e-23.  s (32,19,13) is as in the reference: p .998.
	vals n 50 8 8 8 8 32
	rep c 5 64
	rep s '"x"' 32 '"y"' 19 '"z"' 13
	printf '{"batch_id":"h","features":{"n":[%s],"c":[%s],"s":[%s]}}\n' \
	    "$n" "$c" "$s" >h.ndjson
	run_split mm-psi --ref ref200.json h.ndjson
	assert_success
	drift_of "$output"
	assert_equal "$drift" '{"psi":{"n":2.896264068368929,"c":0,"s":0.00016339577933492503},"psi_adj":{"n":2.813764068368929,"c":0,"s":0},"p_value":{"n":1.1292607801696438e-23,"c":1,"s":0.9980315554097128},"psi_crit":{"n":0.2738320228047447,"c":null,"s":0.18996327017200876},"drifted":["n"],"drift_score":0.9379213561229763,"status":"severe","n":64,"missing":{"n":32,"c":0,"s":0},"ref":"04a4dd5bdafce393","counts":{"n":[8,8,8,8,32],"c":[64,0,0],"s":[32,19,13,0,0]}}'
	assert_equal "$stderr" ""
}

@test "PSI: a constant column that takes a new value is flagged" {
	make_ref200
	# c: 48 "5" and 16 "6" (other) against 200,0,0: two bins, expected
	# other count 64 * 16/264 = 3.9 < 5: exact.  X, the batch's count
	# of "5", is hypergeometric (264 rows, 248 of them "5", 64 drawn),
	# expected 60.12; P(|X - 60.12| >= 12.12) = P(X <= 48) = 2.91899e-11.
	#   PSI = (48.5/65 - 200.5/201) ln(...) + (16.5/65 - .5/201) ln(...)
	#       = 1.23562, psi_adj = 1.23562 - (1/200 + 1/64) = 1.21499
	#   psi_crit = 6.63490 * .020625 = .136845
	vals n 50 16 16 16 16
	rep c 5 48 6 16
	rep s '"x"' 32 '"y"' 19 '"z"' 13
	printf '{"batch_id":"c","features":{"n":[%s],"c":[%s],"s":[%s]}}\n' \
	    "$n" "$c" "$s" >c.ndjson
	run_split mm-psi --ref ref200.json c.ndjson
	assert_success
	drift_of "$output"
	assert_equal "$drift" '{"psi":{"n":0,"c":1.235618010388487,"s":0.00016339577933492503},"psi_adj":{"n":0,"c":1.2149930103884872,"s":0},"p_value":{"n":1,"c":2.9189905721575396e-11,"s":0.9980315554097128},"psi_crit":{"n":0.2339878763092276,"c":0.13684474239606256,"s":0.18996327017200876},"drifted":["c"],"drift_score":0.4049976701294957,"status":"severe","n":64,"missing":{"n":0,"c":0,"s":0},"ref":"04a4dd5bdafce393","counts":{"n":[16,16,16,16,0],"c":[48,16,0],"s":[32,19,13,0,0]}}'
	assert_equal "$stderr" ""
}

# A zero-inflated feature: z = 181 zeros and 1..20 (201 rows, 90%
# zeros; 21 distinct values, numeric).  numpy's quantiles at 200q = 0,
# 20, ..., 180 are all 0 (sorted[180] is the last zero), and at 200 it is
# 20.  0 is a point mass: edges 0, nextafter(0, inf) = 2^-1074 (written
# "%.15g", 4.94065645841247e-324, which reads back as it), 20; bins
# {0} = 181, (0, inf) = 20, missing 0.  The id is sha256 of the
# features array as written.  Before point masses had bins of their own
# the edges were 0, 20: one value bin, so no batch of numbers could move
# the PSI of z from 0.
make_zeros() {
	local zeros ones rec

	rep zeros 0 181
	printf -v ones '%s,' {1..20}
	printf -v rec '{"batch_id":"t","features":{"z":[%s,%s]}}' \
	    "$zeros" "${ones%,}"
	mm-psi --fit <<<"$rec" >zeros.json
}

@test "PSI: a zero-inflated feature whose share of zeros falls is flagged" {
	make_zeros
	assert_equal "$(<zeros.json)" '{"format":"mm-reference/2","id":"849af8fe6ff548b6","bins":10,"max_categories":20,"rows":201,"features":[{"name":"z","kind":"numeric","n":201,"edges":[0,4.94065645841247e-324,20],"counts":[181,20,0]}]}'
	# 100 rows, 50 zeros and 1..50: 50,50 against 181,20 (K = 2, M =
	# 201, N = 100):
	#   a_i = (50.5, 50.5) / 101, e_i = (181.5, 20.5) / 202
	#   PSI = -.39851 ln(.5 / .89851) + .39851 ln(.5 / .10149) = .86909
	#   psi_adj = .86909 - (1/201 + 1/100) = .85412
	#   expected counts 76.7, 23.3 (batch), 154.3, 46.7: all >= 5, so
	#   chi2_contingency: p = 9.41877e-15
	#   psi_crit = 6.63490 * (1/201 + 1/100) = .099358
	# Severe, and z is named.
	rep zeros 0 50
	printf -v ones '%s,' {1..50}
	printf '{"batch_id":"half","features":{"z":[%s,%s]}}\n' \
	    "$zeros" "${ones%,}" >half.ndjson
	run_split mm-psi --ref zeros.json half.ndjson
	assert_success
	drift_of "$output"
	assert_equal "$drift" '{"psi":{"z":0.8690934494486323},"psi_adj":{"z":0.8541183250705229},"p_value":{"z":9.418765567771835e-15},"psi_crit":{"z":0.09935840183618834},"drifted":["z"],"drift_score":0.8541183250705229,"status":"severe","n":100,"missing":{"z":0},"ref":"849af8fe6ff548b6","counts":{"z":[50,50,0]}}'
	assert_equal "$stderr" ""

	# The same share, 90 zeros and 1..10: PSI 6.6476e-5, psi_adj 0,
	# chi2_contingency p = .98917.  Stable.
	rep zeros 0 90
	printf -v ones '%s,' {1..10}
	printf '{"batch_id":"same","features":{"z":[%s,%s]}}\n' \
	    "$zeros" "${ones%,}" >same.ndjson
	run_split mm-psi --ref zeros.json same.ndjson
	assert_success
	drift_of "$output"
	assert_equal "$drift" '{"psi":{"z":6.647567826272264e-05},"psi_adj":{"z":0},"p_value":{"z":0.9891715405287127},"psi_crit":{"z":0.09935840183618834},"drifted":[],"drift_score":0,"status":"stable","n":100,"missing":{"z":0},"ref":"849af8fe6ff548b6","counts":{"z":[90,10,0]}}'
	assert_equal "$stderr" ""

	# The bin of the zeros holds 0 and -0 and, the first bin being open,
	# anything below; one ulp above 0 is in the next.
	run_split mm-psi --ref zeros.json --counts <<<'{"batch_id":"u","features":{"z":[-1,-0.0,0,4.94065645841247e-324,5e-324,20,25,null]}}'
	assert_success
	assert_output '{"batch_id":"u","counts":{"ref":"849af8fe6ff548b6","n":8,"bins":{"z":[3,4,1]}}}'
	assert_equal "$stderr" ""
}

@test "PSI: a batch whose every value is null reports drift, not an error" {
	make_ref200
	# 20 rows, all missing.  c: two bins, exact p = P(all 20 drawn from
	# the 20 missing of 220) = 1 / C(220, 20) = 8.4012e-29.  n (K = 5)
	# and s (K = 4) get Monte Carlo p-values: no table of 600 is as
	# extreme, p = (0 + 1) / (600 + 1) = .0016639, where 600 = 2 / (.01
	# / 3 features) tables resolve the smallest BH threshold.  All three
	# are significant and far above severe:
	#   n: PSI 7.56780, psi_adj 7.56780 - 4 * (1/200 + 1/20) = 7.34780
	#   c: PSI 9.45225, psi_adj 9.39725; s: PSI 8.07774, psi_adj 7.91274
	rep nulls null 20
	printf '{"batch_id":"z","features":{"n":[%s],"c":[%s],"s":[%s]}}\n' \
	    "$nulls" "$nulls" "$nulls" >z.ndjson
	run_split mm-psi --ref ref200.json z.ndjson
	assert_success
	drift_of "$output"
	assert_equal "$drift" '{"psi":{"n":7.567799680851281,"c":9.45225365088479,"s":8.077736992522201},"psi_adj":{"n":7.347799680851281,"c":9.39725365088479,"s":7.912736992522201},"p_value":{"n":0.0016638935108153079,"c":8.401246254438963e-29,"s":0.0016638935108153079},"psi_crit":{"n":0.7302187274793192,"c":0.3649193130561668,"s":0.6239676701579402},"drifted":["c","s","n"],"drift_score":8.219263441419425,"status":"severe","n":20,"missing":{"n":20,"c":20,"s":20},"ref":"04a4dd5bdafce393","counts":{"n":[0,0,0,0,20],"c":[0,0,20],"s":[0,0,0,0,20]}}'
	assert_equal "$stderr" ""
}

@test "PSI: a feature of the other kind than the reference's is bad input" {
	make_ref200
	printf -v good '{"batch_id":"g","features":{"n":[1,2],"c":[5,5],"s":["x","y"]}}'
	printf '%s\n' "$good" \
	    '{"batch_id":"b","features":{"n":["1","2"],"c":[5,5],"s":["x","y"]}}' \
	    "$good" >in.ndjson
	run_split mm-psi --ref ref200.json in.ndjson
	assert_failure 2
	lines_in "$output"
	assert_equal "$n" 1
	assert_equal "$stderr" "mm-psi: in.ndjson:2: feature 'n' holds strings; the reference has numbers"

	printf '%s\n' "$good" \
	    '{"batch_id":"b","features":{"n":[1,2],"c":[5,5],"s":[1,2]}}' \
	    "$good" >in.ndjson
	run_split mm-psi --ref ref200.json in.ndjson
	assert_failure 2
	assert_equal "$stderr" "mm-psi: in.ndjson:2: feature 's' holds numbers; the reference has categories"

	run_split mm-psi --ref ref200.json --skip-bad in.ndjson
	assert_success
	lines_in "$output"
	assert_equal "$n" 2
	assert_equal "$stderr" "mm-psi: skipped 1 bad record"
}

@test "--window 2 gives the PSI of the last two batches together" {
	make_ref
	printf '%s\n' "$W1" "$W2" "$W3" >w.ndjson
	printf '%s\n' "$W1" \
	    '{"batch_id":"w12","features":{"a":[1,2,9,10],"c":[5,5,5,5]}}' \
	    '{"batch_id":"w23","features":{"a":[9,10,5,6],"c":[5,5,5,5]}}' \
	    >together.ndjson
	run_split mm-psi --ref ref.json --window 2 w.ndjson
	assert_success
	assert_equal "$stderr" ""
	lines_in "$output"
	[ "$n" -eq 3 ]
	drift_of "$output"
	got=$drift
	drift_of "$(mm-psi --ref ref.json together.ndjson)"
	assert_equal "$got" "$drift"
	# The window's n counts the rows of both batches, its counts sum.
	grep_o '"n":[0-9]*' "$output"
	printf -v got '%s ' "${matched[@]}"
	assert_equal "$got" '"n":2 "n":4 "n":4 '
	grep_o '"counts":\{"a":[^]]*]' "$output"
	printf -v got '%s\n' "${matched[@]}"
	assert_equal "${got%$'\n'}" \
	    '"counts":{"a":[2,0,0,0,0]
"counts":{"a":[2,0,0,2,0]
"counts":{"a":[0,1,1,2,0]'
	# Batch records pass through unchanged.
	mapfile -t out <<<"$output"
	got=
	for line in "${out[@]}"; do
		[[ $line == *',"drift":'* ]] && line=${line%%,\"drift\":*}'}'
		got+=$line$'\n'
	done
	assert_equal "${got%$'\n'}" "$(<w.ndjson)"
}

@test "--window 1 is plain PSI" {
	make_ref
	printf '%s\n' "$W1" "$W2" "$W3" >w.ndjson
	run_split mm-psi --ref ref.json --window 1 w.ndjson
	assert_success
	assert_output "$(mm-psi --ref ref.json w.ndjson)"
}

# The test, Benjamini-Hochberg and --threshold

# a: 19,10,6,5 against 250 each (M = 1000, N = 40, K = 4):
#   PSI = .25530, psi_adj = .25530 - 3 * (1/1000 + 1/40) = .17730
#   chi2_contingency: statistic 11.541, p = .0091314
# b: 10,10,10,10: PSI 0, p 1.  psi_crit = 11.34487 * .026 = .294967.
make_bh() {
	local a b

	vals a 250 19 10 6 5
	vals b 250 10 10 10 10
	printf '{"batch_id":"bh","features":{"a":[%s],"b":[%s]}}\n' "$a" "$b" \
	    >bh.ndjson
}

@test "the test: a feature significant alone is not after Benjamini-Hochberg across two" {
	make_bh
	# Alone, p(a) = .0091 <= .01: drifted, moderate.  With b, BH needs
	# p(1) <= .01/2 or p(2) <= .01: .0091 > .005 and 1 > .01, so nothing
	# is significant: stable, though psi_adj(a) is moderate.
	make_ref1000
	run_split mm-psi --ref ref1000.json bh.ndjson
	assert_success
	drift_of "$output"
	assert_equal "$drift" '{"psi":{"a":0.25530431003163856,"b":0},"psi_adj":{"a":0.17730431003163855,"b":0},"p_value":{"a":0.009131369305733437,"b":1},"psi_crit":{"a":0.2949665349837536,"b":0.2949665349837536},"drifted":[],"drift_score":0.08865215501581927,"status":"stable","n":40,"missing":{"a":0,"b":0},"ref":"35ec4fdc2493d9d5","counts":{"a":[19,10,6,5,0],"b":[10,10,10,10,0]}}'
	assert_equal "$stderr" ""

	make_ref1000 a
	run_split mm-psi --ref ref1000.json bh.ndjson
	assert_success
	field drifted status
	assert_equal "$field" '["a"] "moderate"'
	assert_equal "$stderr" \
	    "mm-psi: ignoring features not in the reference, such as 'b'"
}

@test "--alpha sets the level of the test and of psi_crit" {
	make_bh
	make_ref1000
	# alpha .05: BH's first threshold .05/2 = .025 >= .0091; psi_crit =
	# 7.81473 * .026 = .203183.
	run_split mm-psi --ref ref1000.json --alpha 0.05 bh.ndjson
	assert_success
	field psi_crit
	assert_equal "$field" \
	    '{"a":0.20318292548453065,"b":0.20318292548453065}'
	field drifted
	assert_equal "$field" '["a"]'
	assert_equal "$stderr" ""

	mkdir conf
	printf 'alpha: 0.05\n' >conf/drift.yaml
	run_split mm-psi --ref ref1000.json --config conf bh.ndjson
	assert_success
	field drifted
	assert_equal "$field" '["a"]'
	run_split mm-psi --ref ref1000.json --config conf --alpha 0.01 bh.ndjson
	assert_success
	field drifted
	assert_equal "$field" '[]'
}

@test "--threshold fixed flags a small noisy batch that the test keeps stable" {
	make_ref1000 a
	# 8 rows, 4,1,1,2 against 250 each:
	#   a_i = (4.5, 1.5, 1.5, 2.5) / 10, e_i = .25
	#   PSI = .2 ln 1.8 + 2 * .1 ln(.25/.15) = .11756 + .10217 = .21973
	# fixed: the mean PSI .21973 is severe.  test: psi_adj = .21973 -
	# 3 * (1/1000 + 1/8) < 0, so 0: stable whatever the p-value.
	vals a 250 4 1 1 2
	printf '{"batch_id":"s","features":{"a":[%s]}}\n' "$a" >s.ndjson
	run_split mm-psi --ref ref1000.json --threshold fixed s.ndjson
	assert_success
	field psi drift_score status
	assert_equal "$field" \
	    '{"a":0.21972245773362198} 0.21972245773362198 "severe"'
	field drifted
	assert_equal "$field" '["a"]'
	assert_equal "$stderr" ""

	run_split mm-psi --ref ref1000.json s.ndjson
	assert_success
	field psi_adj drifted
	assert_equal "$field" \
	    '{"a":0} []'
	[[ $output == *'"drift_score":0,"status":"stable",'* ]]

	# threshold: fixed in drift.yaml does the same; --threshold wins.
	mkdir conf
	printf 'threshold: fixed\n' >conf/drift.yaml
	run_split mm-psi --ref ref1000.json --config conf s.ndjson
	assert_success
	[[ $output == *'"status":"severe"'* ]]
	run_split mm-psi --ref ref1000.json --config conf --threshold test \
	    s.ndjson
	assert_success
	[[ $output == *'"status":"stable"'* ]]
}

@test "the test: a huge batch with a small significant change stays stable" {
	make_ref1000 a
	# 20000 rows, 6000,5200,4600,4200 against 250 each:
	#   chi2_contingency p = .00064059: significant
	#   PSI = .018146, psi_adj = .018146 - 3 * (1/1000 + 1/20000)
	#       = .014996: far below moderate, so not drifted.
	vals a 250 6000 5200 4600 4200
	printf '{"batch_id":"big","features":{"a":[%s]}}\n' "$a" >big.ndjson
	run_split mm-psi --ref ref1000.json big.ndjson
	assert_success
	drift_of "$output"
	assert_equal "$drift" '{"psi":{"a":0.018146430561806103},"psi_adj":{"a":0.014996430561806103},"p_value":{"a":0.0006405893573008208},"psi_crit":{"a":0.011912110066651585},"drifted":[],"drift_score":0.014996430561806103,"status":"stable","n":20000,"missing":{"a":0},"ref":"412da53f7ff6af0d","counts":{"a":[6000,5200,4600,4200,0]}}'
	assert_equal "$stderr" ""
}

@test "--threshold chi2 is --threshold test, with a warning" {
	make_bh
	make_ref1000
	want=$(mm-psi --ref ref1000.json --threshold test bh.ndjson)
	run_split mm-psi --ref ref1000.json --threshold chi2 bh.ndjson
	assert_success
	assert_output "$want"
	assert_equal "$stderr" \
	    "mm-psi: --threshold chi2 is now --threshold test (deprecated)"

	run_split mm-psi --ref ref1000.json --threshold bands bh.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: --threshold: 'bands' is not 'test' or 'fixed'"
}

@test "moderate and severe come from drift.yaml" {
	make_ref1000
	vals a 250 90 45 35 30
	vals b 250 50 50 50 50
	printf '{"batch_id":"h","features":{"a":[%s],"b":[%s]}}\n' "$a" "$b" \
	    >h.ndjson
	# psi_adj(a) = .17620 (see the hand-computed batch): moderate by
	# default, severe from .15, stable from .18.
	run_split mm-psi --ref ref1000.json h.ndjson
	assert_success
	field status
	assert_equal "$field" '"moderate"'
	mkdir conf
	printf 'moderate: 0.05\nsevere: 0.15\n' >conf/drift.yaml
	run_split mm-psi --ref ref1000.json --config conf h.ndjson
	assert_success
	field status
	assert_equal "$field" '"severe"'
	printf 'moderate: 0.18\nsevere: 0.3\n' >conf/drift.yaml
	run_split mm-psi --ref ref1000.json --config conf h.ndjson
	assert_success
	field status
	assert_equal "$field" '"stable"'
	field drifted
	assert_equal "$field" '[]'
}

@test "smoothing: 0 keeps the older formula, with eps from drift.yaml bounding an empty bin" {
	make_ref
	mkdir conf
	printf 'smoothing: 0\neps: 0.01\n' >conf/drift.yaml
	# a = 1,2 | 9,10: shares .5 0 0 .5 against .3 .2 .2 .3 (the missing
	# bin, empty in both, is left out), eps .01:
	#   2 * .2 ln(.51/.31) + 2 * .2 ln(.21/.01)
	#   = 2 * .2 * .49784 + 2 * .2 * 3.04452 = 1.41694
	run_split mm-psi --ref ref.json --config conf <<<'{"batch_id":"e","features":{"a":[1,2,9,10],"c":[5,5,5,5]}}'
	assert_success
	grep_o '"psi":\{"a":[^,]*' "$output"
	assert_equal "${matched[*]}" \
	    '"psi":{"a":1.416944346385041'
	assert_equal "$stderr" ""
}

# --fail-on

@test "--fail-on severe exits 1 after writing every record" {
	make_ref200
	rep nulls null 20
	printf -v z '{"batch_id":"z","features":{"n":[%s],"c":[%s],"s":[%s]}}' \
	    "$nulls" "$nulls" "$nulls"
	printf '%s\n' "$z" "$z" >in.ndjson
	run_split mm-psi --ref ref200.json --fail-on severe in.ndjson
	assert_failure 1
	assert_output "$(mm-psi --ref ref200.json in.ndjson)"
	lines_in "$output"
	[ "$n" -eq 2 ]
	assert_equal "$stderr" ""
}

@test "--fail-on moderate exits 1 on a moderate batch, severe does not" {
	make_ref1000
	# a moderate (psi_adj .17620, see the hand-computed batch), b as in
	# the reference.
	vals a 250 90 45 35 30
	vals b 250 50 50 50 50
	printf '{"batch_id":"h","features":{"a":[%s],"b":[%s]}}\n' "$a" "$b" \
	    >m.ndjson
	run_split mm-psi --ref ref1000.json --fail-on moderate m.ndjson
	assert_failure 1
	field drifted
	assert_equal "$field" '["a"]'
	assert_equal "$stderr" ""
	run_split mm-psi --ref ref1000.json --fail-on severe m.ndjson
	assert_success
	assert_equal "$stderr" ""
}

@test "--fail-on is not reached on stable batches" {
	make_ref
	run_split mm-psi --ref ref.json --fail-on moderate <<<"$B1"
	assert_success
	assert_output "${B1%\}},\"drift\":$D1}"
	assert_equal "$stderr" ""
}

@test "--fail-on severe: one feature of 30 drifted at 500 rows is seen" {
	# mm-gen's population with 30 features; f7's spread grows by 1.5 in
	# the drifted batch.  Measured: f7 psi_adj .38356, p 4.2e-47; the
	# largest psi_adj of the other 29 is .0207.  The same batch without
	# drift is stable.
	mm-gen --rows 5000 --features 30 --seed 1 | mm-psi --fit >ref.json
	mm-gen --batches 1 --batch-size 500 --features 30 --seed 2 \
	    --drift-at 0 --drift-features f7 --scale 1.5 >drifted.ndjson
	mm-gen --batches 1 --batch-size 500 --features 30 --seed 2 \
	    >stable.ndjson
	run_split mm-psi --ref ref.json --fail-on severe drifted.ndjson
	assert_failure 1
	field drifted
	assert_equal "$field" '["f7"]'
	[[ $output == *'"status":"severe","n":500,'* ]]
	assert_equal "$stderr" ""
	run_split mm-psi --ref ref.json --fail-on moderate stable.ndjson
	assert_success
	field drifted
	assert_equal "$field" '[]'
	assert_equal "$stderr" ""
}

# Inputs and the reference

@test "several FILE arguments are read in order; - is standard input" {
	make_ref
	printf '%s\n' "$W1" >1.ndjson
	printf '%s\n' "$W2" "$W3" >2.ndjson
	run_split mm-psi --ref ref.json 1.ndjson - 2.ndjson <<<"$B1"
	assert_success
	mapfile -t out <<<"$output"
	printf -v got '%s\n' "${out[@]%%,\"drift\"*}"
	assert_equal "${got%$'\n'}" \
	    "${W1%\}}
${B1%\}}
${W2%\}}
${W3%\}}"
	drift_of "${out[1]}"
	assert_equal "$drift" "$D1"
	assert_equal "$stderr" ""
}

@test "the reference comes from the model store's active version" {
	make_ref
	want=$(mm-psi --ref ref.json <<<"$B1")
	mkdir -p store/versions/v1 store/versions/v0
	printf '%s\n' "$REF" >store/versions/v1/reference.json
	printf '{"format":"mm-reference/2"}\n' >store/versions/v0/reference.json
	printf '{"version":"v1","previous_version":"v0"}\n' >store/active.json

	run_split mm-psi --models store <<<"$B1"
	assert_success
	assert_output "$want"
	assert_equal "$stderr" ""

	MM_MODELS=store run_split mm-psi <<<"$B1"
	assert_success
	assert_output "$want"
	assert_equal "$stderr" ""

	mv store models
	run_split mm-psi <<<"$B1"
	assert_success
	assert_output "$want"
	assert_equal "$stderr" ""
}

@test "--ref wins over the model store" {
	make_ref
	mkdir -p models/versions/v1
	printf '{"version":"v1"}\n' >models/active.json
	printf '{"format":"mm-reference/2"}\n' >models/versions/v1/reference.json
	run_split mm-psi --ref ref.json <<<"$B1"
	assert_success
	assert_output "${B1%\}},\"drift\":$D1}"
}

@test "no --ref and no model store is a usage error" {
	run_split mm-psi <<<"$B1"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: no reference: give --ref FILE, or a model store with an active version (--models DIR)"

	mkdir empty
	run_split mm-psi --models empty <<<"$B1"
	assert_failure 2
	assert_equal "$stderr" "mm-psi: no reference: give --ref FILE, or a model store with an active version (--models DIR)"
}

@test "a reference from older mm (mm-reference/1) is read, under the id of its new form" {
	make_ref
	# What mm-psi --fit --bins 4 wrote for TRAIN before: a's counts
	# without a missing bin, c as one edge and one bin.  It reads as
	# REF does, and counts made with either merge together.
	printf '%s\n' '{"format":"mm-reference/1","id":"5f3db756487b7958","bins":4,"rows":10,"features":[{"name":"a","n":10,"missing":0,"edges":[1,3.25,5.5,7.75,10],"counts":[3,2,2,3],"shares":[0.3,0.2,0.2,0.3]},{"name":"c","n":10,"missing":0,"edges":[5],"counts":[10],"shares":[1]}]}' >old.json
	run_split mm-psi --ref old.json <<<"$B1"
	assert_success
	assert_output "${B1%\}},\"drift\":$D1}"
	assert_equal "$stderr" ""
}

# --counts and --merge

@test "--counts writes the bin counts in place of features" {
	make_ref
	# B1's a: 4,3,1,2 and 0 missing; c: all ten in "5".
	run_split mm-psi --ref ref.json --counts <<<'{"batch_id":"b1","ts":5,"features":{"a":[1,2,2,3,4,5,5,6,8,10],"c":[5,5,5,5,5,5,5,5,5,5]},"labels":[1,0,1,0,1,0,1,0,1,null],"pred":[1,1,1,1,1,1,1,1,1,1],"proba":[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5],"drift":{"x":1},"note":"k","metrics":{"f1":0.5}}'
	assert_success
	assert_output '{"batch_id":"b1","ts":5,"note":"k","metrics":{"f1":0.5},"counts":{"ref":"294f20f79048a3a7","n":10,"bins":{"a":[4,3,1,2,0],"c":[10,0,0]}}}'
	assert_equal "$stderr" ""
}

@test "--merge of one count record gives the PSI of its batch" {
	make_ref
	run_split sh -c "mm-psi --ref ref.json --counts | mm-psi --ref ref.json --merge" <<<"$B1"
	assert_success
	assert_output "{\"n_records\":1,\"drift\":$D1}"
	assert_equal "$stderr" ""
}

# Six batches of seven rows; a runs past the training range on both
# sides and every eleventh value is missing.  whole.ndjson holds all 42
# rows in one batch.
make_batches() {
	local i j k v a c all_a='' all_c=''
	: >batches.ndjson
	for i in 1 2 3 4 5 6; do
		a='' c=''
		for j in 1 2 3 4 5 6 7; do
			k=$(((i - 1) * 7 + j))
			if ((k % 11 == 0)); then v=null; else v=$((k * 37 % 15 - 2)); fi
			a+=${a:+,}$v
			c+=${c:+,}$((4 + k % 3))
		done
		printf '{"batch_id":"b%d","features":{"a":[%s],"c":[%s]}}\n' \
		    "$i" "$a" "$c" >>batches.ndjson
		all_a+=${all_a:+,}$a
		all_c+=${all_c:+,}$c
	done
	printf '{"batch_id":"all","features":{"a":[%s],"c":[%s]}}\n' \
	    "$all_a" "$all_c" >whole.ndjson
}

@test "--merge of counts from shards in separate processes equals PSI of the whole" {
	make_ref
	make_batches
	mapfile -t b <batches.ndjson
	printf '%s\n' "${b[@]:0:2}" >s1
	printf '%s\n' "${b[@]:2:2}" >s2
	printf '%s\n' "${b[@]:4:2}" >s3
	for s in s1 s2 s3; do
		mm-psi --ref ref.json --counts "$s" >"$s.counts" &
	done
	wait
	# What cat s?.counts gives: six lines.
	counts=
	for s in s?.counts; do
		IFS= read -r -d '' c <"$s" || true
		counts+=$c
	done
	lines_in "${counts%$'\n'}"
	[ "$n" -eq 6 ]
	drift_of "$(mm-psi --ref ref.json whole.ndjson)"
	want=$drift
	[[ $want == *'"n":42,"missing":{"a":3,"c":0},'* ]]
	run_split mm-psi --ref ref.json --merge <<<"${counts%$'\n'}"
	assert_success
	assert_output "{\"n_records\":6,\"drift\":$want}"
	assert_equal "$stderr" ""
}

@test "--merge of drift records sums the counts they carry" {
	make_ref
	make_batches
	want=$(mm-psi --ref ref.json --counts batches.ndjson |
	    mm-psi --ref ref.json --merge)
	run_split sh -c 'mm-psi --ref ref.json batches.ndjson | mm-psi --ref ref.json --merge'
	assert_success
	assert_output "$want"
	assert_equal "$stderr" ""
}

@test "--merge of shards made by mm-gen equals PSI of one batch from mm-batch" {
	mm-gen --batches 1 --batch-size 400 --seed 1 | mm-psi --fit >ref.json
	mm-gen --batches 6 --batch-size 50 --seed 2 >batches.ndjson
	# split -l 2 batches.ndjson shard.
	mapfile -t b <batches.ndjson
	printf '%s\n' "${b[@]:0:2}" >shard.aa
	printf '%s\n' "${b[@]:2:2}" >shard.ab
	printf '%s\n' "${b[@]:4:2}" >shard.ac
	[ ${#b[@]} -eq 6 ]
	for s in shard.aa shard.ab shard.ac; do
		mm-psi --ref ref.json --counts "$s" >"$s.counts" &
	done
	wait
	drift_of "$(mm-gen --batches 6 --batch-size 50 --seed 2 --format rows |
	    mm-batch --size 300 | mm-psi --ref ref.json 2>/dev/null)"
	want=$drift
	[[ $want == *'"n":300,'* ]]
	# cat shard.a?.counts on its standard input.
	counts=
	for s in shard.a?.counts; do
		IFS= read -r -d '' c <"$s" || true
		counts+=$c
	done
	run_split mm-psi --ref ref.json --merge <<<"${counts%$'\n'}"
	assert_success
	assert_output "{\"n_records\":6,\"drift\":$want}"
	assert_equal "$stderr" ""
}

@test "--merge --by FIELD gives one result per value, in first-seen order" {
	make_ref
	mm-psi --ref ref.json --counts >c.ndjson <<'EOF'
{"batch_id":"w1","day":"d2","features":{"a":[1,2],"c":[5,5]}}
{"batch_id":"w2","day":"d1","features":{"a":[9,10],"c":[5,5]}}
{"batch_id":"w3","day": "d2","features":{"a":[5,6],"c":[5,5]}}
{"batch_id":"w4","day":7,"features":{"a":[9,10],"c":[5,5]}}
EOF
	# d2 = w1 + w3: a = 1,2,5,6, the same counts as 1,2 | 5,6.
	drift_of "$(mm-psi --ref ref.json <<<'{"batch_id":"x","features":{"a":[1,2,5,6],"c":[5,5,5,5]}}')"
	d2=$drift
	drift_of "$(mm-psi --ref ref.json <<<"$W2")"
	d1=$drift
	run_split mm-psi --ref ref.json --merge --by day c.ndjson
	assert_success
	assert_output "{\"day\":\"d2\",\"n_records\":2,\"drift\":$d2}
{\"day\":\"d1\",\"n_records\":1,\"drift\":$d1}
{\"day\":7,\"n_records\":1,\"drift\":$d1}"
	assert_equal "$stderr" ""
}

@test "--merge with --fail-on judges the merged result" {
	make_ref200
	# Two halves of the all-null batch: each 10 rows, merged 20: severe.
	rep nulls null 10
	printf -v h '{"batch_id":"z","features":{"n":[%s],"c":[%s],"s":[%s]}}' \
	    "$nulls" "$nulls" "$nulls"
	mm-psi --ref ref200.json --counts <<<"$h"$'\n'"$h" >c.ndjson
	run_split mm-psi --ref ref200.json --merge --fail-on severe c.ndjson
	assert_failure 1
	field drifted
	assert_equal "$field" '["c","s","n"]'
	[[ $output == *'"status":"severe","n":20,'* ]]
	assert_equal "$stderr" ""
}

@test "--merge refuses counts made with another reference" {
	make_ref
	make_ref1000
	mm-psi --ref ref.json --counts <<<"$B1" >c.ndjson
	run_split mm-psi --ref ref1000.json --merge c.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: c.ndjson:1: counts were made with reference '294f20f79048a3a7', not '35ec4fdc2493d9d5'"
}

@test "--merge: a record without counts, or without the --by field" {
	make_ref
	mm-psi --ref ref.json --counts <<<"$B1" >c.ndjson
	run_split mm-psi --ref ref.json --merge --by day c.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: c.ndjson:1: 'day' missing"
	run_split mm-psi --ref ref.json --merge <<<"$B1"
	assert_failure 2
	assert_equal "$stderr" "mm-psi: line 1: neither 'counts' nor 'drift' (make count records with mm-psi --counts)"
	run_split mm-psi --ref ref.json --merge <<<'{"drift":{"psi":{"a":0}}}'
	assert_failure 2
	assert_equal "$stderr" "mm-psi: line 1: 'drift' is not a count object (no ref, n and counts)"
}

# A count record against REF: counts(N, A, C) with n N and bins A, C.
counts() {
	printf '{"counts":{"ref":"294f20f79048a3a7","n":%s,"bins":{"a":[%s],"c":[%s]}}}\n' \
	    "$1" "$2" "$3"
}

@test "--merge checks every count record before adding it" {
	make_ref
	{
		counts 10 4,3,1,2,0 10,0,0
		counts 10 5,3,1,2,-1 10,0,0
		counts 10 4,3,1,2 10,0,0
		counts 10 4,3,1,2,0 9,0,0
		counts 10 4,3,1,2,0 10,0,0
		counts 10 4,3,1,2.5,0 10,0,0
		counts -1 4,3,1,2,0 10,0,0
	} >c.ndjson
	run_split mm-psi --ref ref.json --merge c.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: c.ndjson:2: count 4 of feature 'a' is not a count"

	mapfile -t rec <c.ndjson
	for bad in 3 4 6 7; do
		# sed -n "1p;${bad}p" c.ndjson
		printf '%s\n' "${rec[0]}" "${rec[bad - 1]}" >one.ndjson
		run_split mm-psi --ref ref.json --merge one.ndjson
		assert_failure 2
		assert_output ""
		case $bad in
		3) want="counts of feature 'a' missing or of the wrong length" ;;
		4) want="counts of feature 'c' add up to 9, not n 10" ;;
		6) want="count 3 of feature 'a' is not a count" ;;
		7) want="'counts' is not a count object" ;;
		esac
		assert_equal "$stderr" "mm-psi: one.ndjson:2: $want"
	done

	# --skip-bad adds the good records (1 and 5) only.
	run_split mm-psi --ref ref.json --merge --skip-bad c.ndjson
	assert_success
	[[ $output == '{"n_records":2,"drift":{'*'"n":20,'*'"counts":{"a":[8,6,2,4,0],"c":[20,0,0]}}}' ]]
	assert_equal "$stderr" "mm-psi: skipped 5 bad records"
}

@test "--merge: counts or n above 2^50, alone or summed, are bad input" {
	# Sums are kept in doubles too, exact up to 2^53: mm-psi takes any
	# bin's summed count and the summed n up to 2^50 = 1125899906842624
	# (python3: 2 ** 50), and not one more.
	make_ref
	h=562949953421312		# 2^49
	m=1125899906842624		# 2^50
	{
		counts $h $h,0,0,0,0 $h,0,0
		counts $h $h,0,0,0,0 $h,0,0
	} >c.ndjson
	run_split mm-psi --ref ref.json --merge c.ndjson
	assert_success
	[[ $output == *'"n":1125899906842624,'*'"counts":{"a":[1125899906842624,0,0,0,0],"c":[1125899906842624,0,0]}}}' ]]
	assert_equal "$stderr" ""

	counts 1 1,0,0,0,0 1,0,0 >>c.ndjson
	run_split mm-psi --ref ref.json --merge c.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: c.ndjson:3: counts of feature 'a' overflow"

	# Alone: 2^50 + 1, and 2^62, in one record.
	for v in $((m + 1)) 4611686018427387904; do
		counts $v $v,0,0,0,0 $v,0,0 >c.ndjson
		run_split mm-psi --ref ref.json --merge c.ndjson
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "mm-psi: c.ndjson:1: counts of feature 'a' overflow"
	done

	# No bin passes 2^50, but n does: 2^50 rows in two bins, then one
	# more in a third.
	{
		counts $m $h,$h,0,0,0 $h,$h,0
		counts 1 0,0,1,0,0 0,0,1
	} >c.ndjson
	run_split mm-psi --ref ref.json --merge c.ndjson
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mm-psi: c.ndjson:2: n overflows"
}

@test "--merge of no records writes nothing" {
	make_ref
	run_split mm-psi --ref ref.json --merge </dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}
