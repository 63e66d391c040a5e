#!/usr/bin/env bats
# mm-report: one self-contained page with every section, a marker per
# decision, the decisions table, the drifted features, version cards,
# time ranges, the drift config, empty and bad databases, options, and
# the page as a browser renders it.

bats_require_minimum_version 1.5.0
load helper

# 2025-11-26T06:53:20Z, and a minute a batch after it.
T0=1764140000
NOW=1764150000

# A batch record as mm-predict | mm-psi | mm-trust leave it, without
# features: batch_id, minute, model version, F1 (or null), trust, PSI.
rec() {
	printf '{"batch_id":"%s","ts":%d,"metrics":{"n_samples":100,"f1":%s,"model_version":"%s"},"drift":{"psi":{"f0":%s,"f1":0.02},"p_value":{"f0":%s,"f1":0.9},"drift_score":%s,"status":"%s"},"trust":{"score":%s}}\n' \
	    "$1" "$((T0 + 60 * $2))" "$3" "$4" "$6" "$7" "$6" "$8" "$5"
}

# Six batches, b0 to b5, a minute apart: v1 serves b0-b2, v2 b3-b5; b2
# has no labels; drift starts at b4.
make_db() {
	{
		rec b0 0 0.91 v1 0.93 0.03 0.8 stable
		rec b1 1 0.90 v1 0.92 0.04 0.7 stable
		rec b2 2 null v1 0.90 0.05 0.6 stable
		rec b3 3 0.88 v2 0.91 0.02 0.9 stable
		rec b4 4 0.70 v2 0.70 0.45 1e-20 severe
		rec b5 5 0.65 v2 0.62 0.60 0 severe
	} >in.ndjson
	mm-record --db m.db in.ndjson >/dev/null || return 1
	# Five decisions, one of them none, one not carried out.
	sqlite3 m.db "INSERT INTO decision_history (ts, source, action,
	    reason, metadata, exec_status, exec_detail, model_version,
	    created_at) VALUES
	    ($((T0 + 30)), 'b0', 'none', 'all well', '{}', 'executed', '',
	     NULL, 0),
	    ($((T0 + 90)), 'b1', 'retrain', 'f1 <b>fell</b> & \"more\"',
	     '{}', 'executed', 'new version v2', 'v2', 0),
	    ($((T0 + 150)), 'b2', 'promote', 'stable', '{}', 'executed',
	     '', 'v2', 0),
	    ($((T0 + 240)), 'b4', 'reject', 'drift_score 0.45 >= 0.2', '{}',
	     'executed', 'recorded', NULL, 0),
	    ($((T0 + 300)), 'b5', 'rollback', 'f1 dropped', '{}', 'skipped',
	     'no previous version to roll back to', NULL, 0)"
}

# The drift column as mm-record fills it from mm-psi's drift object:
# b0 was recorded before it (NULL); b1-b3 are stable; f0 drifts in b4
# and b5, and a feature whose name is markup in b4 only.
grade_db() {
	printf '%s' '{"psi":{"f0":0.04,"f1":0.02},"psi_adj":{"f0":0,"f1":0},"p_value":{"f0":0.7,"f1":0.9},"drifted":[],"drift_score":0,"status":"stable"}' >stable.json
	printf '%s' '{"psi":{"f0":0.45,"f1":0.02,"x<&>\"y":0.3},"psi_adj":{"f0":0.31,"f1":0,"x<&>\"y":0.16},"p_value":{"f0":1e-20,"f1":0.9,"x<&>\"y":1e-5},"drifted":["f0","x<&>\"y"],"drift_score":0.157,"status":"severe"}' >b4.json
	printf '%s' '{"psi":{"f0":0.6,"f1":0.02,"x<&>\"y":0.05},"psi_adj":{"f0":0.46,"f1":0,"x<&>\"y":0},"p_value":{"f0":0,"f1":0.9,"x<&>\"y":0.5},"drifted":["f0"],"drift_score":0.153,"status":"severe"}' >b5.json
	sqlite3 m.db "UPDATE metrics SET drift = NULL WHERE batch_id = 'b0';
	    UPDATE metrics SET drift = CAST(readfile('stable.json') AS TEXT)
	    WHERE batch_id IN ('b1', 'b2', 'b3');
	    UPDATE metrics SET drift = CAST(readfile('b4.json') AS TEXT)
	    WHERE batch_id = 'b4';
	    UPDATE metrics SET drift = CAST(readfile('b5.json') AS TEXT)
	    WHERE batch_id = 'b5'"
}

# Two small versions: the first active, the second staged.
make_store() {
	mkdir -p conf
	printf 'n_estimators: 5\n' >conf/model.yaml
	mm-train --config conf --models m --synthetic --rows 300 --now $T0 \
	    >/dev/null || return 1
	mm-train --config conf --models m --synthetic --rows 300 --seed 2 \
	    --now $((T0 + 60)) >/dev/null || return 1
	mm-models --models m --now $((T0 + 120)) stage 20251126T065420Z \
	    >/dev/null
}

# The database of make_db, graded (grade_db) or not, and the store of
# make_store, made once for the file: a test copies the ones it needs in
# one cp, where making them took two to four processes each time.
setup_file() {
	local top=$PWD f=$BATS_FILE_TMPDIR

	mkdir "$f/db" "$f/graded" "$f/store"
	cd "$f/db" && make_db || return 1
	cd "$f/graded" && cp "$f/db/m.db" . && grade_db || return 1
	cd "$f/store" && make_store || return 1
	cd "$top" || return 1
}

# fixture NAME...: copies of setup_file's db (m.db as make_db leaves it),
# graded (m.db after grade_db, with the drift objects' files) and store
# (m and conf as make_store leaves them), here.
fixture() {
	local f=$BATS_FILE_TMPDIR name from=()

	for name; do
		case $name in
		db) from+=("$f/db/m.db") ;;
		graded) from+=("$f/graded"/*) ;;
		store) from+=("$f/store/m" "$f/store/conf") ;;
		esac
	done
	cp -a "${from[@]}" .
}

report() {
	run_split mm-report --db m.db --models m --now $NOW "$@"
}

# The checks of the page below are bash's own, where a grep, sed or wc
# in $(...) costs two or three processes and these tests make hundreds.
# They take the page as one text, in a few commands: under bats each
# command pays for a DEBUG trap, and a loop over the page's lines would
# cost as much as the processes.

# read_file VAR FILE: FILE's bytes in VAR (a page holds no NUL).
read_file() {
	local _read_file=

	IFS= read -r -d '' _read_file <"$2" || true
	printf -v "$1" '%s' "$_read_file"
}

# same FILE1 FILE2: the two files hold the same bytes, as cmp says.
same() {
	local a b

	[ -f "$1" ] && [ -f "$2" ] || return 1
	read_file a "$1"
	read_file b "$2"
	[ "$a" = "$b" ]
}

# read_page [FILE]: the lines of FILE (report.html) in the array page.
read_page() {
	mapfile -t page <"${1:-report.html}"
}

# has [-x] PATTERN [FILE]: a line of FILE (report.html) matches PATTERN
# (all of the line with -x), as grep -q [-x] PATTERN FILE says.  PATTERN
# is a basic regular expression with no dot in a bracket expression.
has() {
	local whole='' re c text nl=$'\n'

	if [ "$1" = -x ]; then
		whole=1
		shift
	fi
	re=$1
	# Plain in a basic regular expression, special in an extended one.
	for c in '(' ')' '{' '}' '+' '?' '|'; do
		re=${re//"$c"/"\\$c"}
	done
	# Matched against the whole text, within one line as grep matches.
	re=${re//'[^'/"[^$nl"}
	re=${re//./"[^$nl]"}
	if [ "$whole" ]; then
		re="(^|$nl)($re)($nl|\$)"
	fi
	read_file text "${2:-report.html}"
	[[ $text =~ $re ]]
}

# matches RE [FILE]: what grep -oE RE FILE prints, each match of RE in
# FILE (report.html) in turn, in the array found.  RE has no dot outside
# a bracket expression.
matches() {
	local re=${1//'[^'/"[^"$'\n'} text before

	found=()
	read_file text "${2:-report.html}"
	while [[ $text =~ $re ]]; do
		found+=("${BASH_REMATCH[0]}")
		# On after the match (the first place its text is).
		before=${text%%"${BASH_REMATCH[0]}"*}
		text=${text:${#before} + ${#BASH_REMATCH[0]}}
	done
}

# assert_occurs STRING N [FILE]: the fixed STRING occurs N times in FILE
# (report.html), as grep -oF STRING FILE | wc -l counts.
assert_occurs() {
	local text rest

	read_file text "${3:-report.html}"
	rest=${text//"$1"/}
	assert_equal "$(((${#text} - ${#rest}) / ${#1}))" "$2"
}

# assert_tile NAME VALUE [FILE]: the value of the summary tile named NAME
# in FILE (report.html) is VALUE.
assert_tile() {
	local IFS=$'\n' value

	matches "<div class=\"k\">$1</div><div class=\"v[^\"]*\">[^<]*" \
	    "${3:-report.html}"
	value=${found[*]##*>}
	unset IFS
	assert_equal "$value" "$2"
}

# section ID [FILE]: the lines of FILE (report.html) from its <section>
# line to </section>, as sed -n '/^<section id="ID">/,/^<\/section>/p'
# prints them, in the array sec.
section() {
	local nl=$'\n' start="<section id=\"$1\">" text before line range

	sec=()
	read_file text "${2:-report.html}"
	text=$nl$text
	while [[ $text == *"$nl$start"* ]]; do
		# From a line that starts with START
		before=${text%%"$nl$start"*}
		text=${text:${#before} + 1}
		# to the next that starts with </section>, or the end.
		if [[ $text == *"$nl</section>"* ]]; then
			before=${text%%"$nl</section>"*}
			line=${text:${#before} + 1}
			line=${line%%"$nl"*}
			text=${text:${#before} + 1 + ${#line}}
			range=$before$nl$line
		else
			range=${text%"$nl"}
			text=
		fi
		mapfile -t -O ${#sec[@]} sec <<<"$range"
	done
}

# assert_listed RE N: N of the names ls -A lists here match RE, as
# ls -A | grep -c RE counts them.
assert_listed() {
	local names name n=0

	shopt -s nullglob dotglob
	names=(*)
	shopt -u nullglob dotglob
	for name in "${names[@]}"; do
		[[ $name =~ $1 ]] && n=$((n + 1))
	done
	assert_equal "$n" "$2"
}

@test "a page with every section, self-contained, and nothing printed" {
	fixture db store
	report
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	[ -s report.html ]
	# Nothing left beside it.
	assert_listed 'report\.html.' 0
	read_page
	[ "${page[0]}" = '<!DOCTYPE html>' ]
	[ "${page[-1]}" = '</html>' ]
	# Nothing to fetch: no scripts, links, sources or URLs.
	for s in 'http://' 'https://' '<script' '<link' ' src=' 'url(' \
	    '@import' '<img' '<iframe'; do
		assert_occurs "$s" 0
	done
	for h in 'Trust score' 'F1 against the baseline' 'Drifted features' \
	    'Drift: psi_adj per feature' 'Drift: p-values' 'Decisions' \
	    'Model versions'; do
		assert_occurs "<h2>$h</h2>" 1
	done
	# Nothing in metrics.drift: the one section that needs it says so.
	assert_occurs 'No data' 1
	assert_occurs 'No data: no batch was graded feature by feature (recorded before per-feature drift).' 1
	assert_tile Batches 6
	assert_tile 'Latest trust' 0.620
	assert_tile 'Latest drift' severe
	assert_tile 'Active version' 20251126T065320Z
}

@test "one marker per decision other than none, by action" {
	fixture db
	report
	assert_success
	assert_occurs 'class="mk ' 4
	assert_occurs 'class="mk mk-retrain"' 1
	assert_occurs 'class="mk mk-promote"' 1
	assert_occurs 'class="mk mk-reject"' 1
	# Skipped: drawn hollow.
	assert_occurs 'class="mk mk-rollback hollow"' 1
	assert_tile Decisions 4
}

@test "the decisions table: a row each, reasons escaped, none counted" {
	fixture db
	report
	assert_success
	assert_occurs '<tr class="dec">' 4
	has '<td class="reason">f1 &lt;b&gt;fell&lt;/b&gt; &amp; &quot;more&quot;</td>'
	assert_occurs '<b>fell' 0
	has '<td class="nowrap">2025-11-26 06:54:50</td><td><span class="badge a-retrain">retrain</span></td><td>b1</td>'
	has '<td>skipped<div class="detail">no previous version to roll back to</div></td>'
	has '5 decisions: 1 promote, 1 retrain, 1 reject, 1 rollback, 1 none (not listed). Newest first:</p>'
	# Newest first.
	matches '<span class="badge a-[a-z]*">'
	found=("${found[@]#*a-}")
	printf -v badges '%s ' "${found[@]%\">}"
	assert_equal "$badges" 'rollback reject promote retrain '
}

@test "F1 against the baseline: gaps without labels, version changes" {
	fixture db
	report
	assert_success
	# b2 has no F1: two F1 lines, b0-b1 and b3-b5.
	assert_occurs '<polyline class="ln f1"' 2
	assert_occurs '<line class="vc"' 1
	has '<text class="vlabel"[^>]*>v2</text>'
	has 'version change (1)'
}

@test "drift before metrics.drift: the heat map of PSI, p-values" {
	fixture db
	sqlite3 m.db "UPDATE metrics SET drift = NULL"
	report
	assert_success
	# Nothing is graded, so no feature drifted and no lines are drawn.
	assert_occurs 'No feature drifted, so no lines are drawn.' 1
	assert_occurs '<polyline class="ln s' 0
	assert_occurs '6 batches recorded before psi_adj show PSI.' 1
	# The heat map colours the PSI columns: 0.45 severe, 0.05 green.
	assert_occurs 'fill="#cd5353"><title>f0 · b4 · PSI 0.4500 · p-value 1e-20</title>' 1
	assert_occurs 'fill="#d6eddd"><title>f0 · b2 · PSI 0.0500 · p-value 0.600</title>' 1
	# p-values of 1e-20 and 0 are significant, at the floor.  With two
	# features, b2's 0.6 and 0.9 adjust to min(0.6 * 2, 0.9 * 2 / 2).
	assert_occurs '<circle class="pv sig"' 2
	has 'b4 · adjusted p-value 2e-20 · smallest p-value 1e-20 (f0)'
	has 'b5 · adjusted p-value 0 · smallest p-value 0 (f0)'
	has 'b2 · adjusted p-value 0.900 · smallest p-value 0.600 (f0)'
}

@test "drifted features: from metrics.drift, ranked, names escaped" {
	fixture graded
	report
	assert_success
	assert_equal "$stderr" ""
	section drifted
	printf -v got '%s\n' "${sec[@]}"
	IFS= read -r -d '' want <<'EOF' || true
<section id="drifted">
<h2>Drifted features</h2>
<p class="note">A feature drifted in a batch when its p-value was significant at alpha 0.01 after Benjamini-Hochberg across the batch's features and its psi_adj, its PSI beyond what sampling noise gives, reached moderate (0.1), as mm-psi grades it.  The features that drifted in the most batches come first, then those with the largest psi_adj.</p>
<p class="note">2 of 5 batches had a drifted feature; 2 features drifted.  1 batch recorded before per-feature drift is left out.</p>
<div class="scroll"><table>
<thead><tr><th>Feature</th><th class="num">Batches drifted</th><th class="num">Largest psi_adj</th><th class="num">p-value</th><th>In batch</th><th>Last drifted (UTC)</th></tr></thead>
<tbody>
<tr class="drift"><td class="mono">f0</td><td class="num">2</td><td class="num"><i class="sw" style="background:#cc5353"></i>0.4600</td><td class="num">0</td><td class="mono">b5</td><td class="nowrap"><span class="mono">b5</span> 2025-11-26 06:58:20</td></tr>
<tr class="drift"><td class="mono">x&lt;&amp;&gt;&quot;y</td><td class="num">1</td><td class="num"><i class="sw" style="background:#f8bb3e"></i>0.1600</td><td class="num">1e-05</td><td class="mono">b4</td><td class="nowrap"><span class="mono">b4</span> 2025-11-26 06:57:20</td></tr>
</tbody>
</table></div>
</section>
EOF
	assert_equal "$got" "$want"
	assert_occurs 'x<&>' 0
	# Their psi_adj lines, ringed where they drifted, named below.
	assert_occurs '<polyline class="ln s0"' 1
	assert_occurs '<polyline class="ln s1"' 1
	assert_occurs '<circle class="dd ' 3
	assert_occurs '</svg>x&lt;&amp;&gt;&quot;y</span>' 1
	assert_occurs 'class="band band-moderate"' 1
	assert_occurs 'class="band band-severe"' 1
	# The heat map colours psi_adj; b0 has only its PSI.
	assert_occurs '<title>f0 · b4 · psi_adj 0.3100 (PSI 0.4500) · p-value 1e-20 · drifted</title>' 1
	assert_occurs 'fill="#f0f7f2"><title>f0 · b2 · psi_adj 0.0000 (PSI 0.0400) · p-value 0.700</title>' 1
	assert_occurs '<title>f0 · b0 · PSI 0.0300 · p-value 0.800</title>' 1
	assert_tile 'Latest drift' severe
}

@test "drifted features from the real pipeline: the ones mm-gen moved" {
	mkdir conf
	printf 'n_estimators: 5\n' >conf/model.yaml
	mm-train --config conf --models m --synthetic --rows 1000 --now $T0 \
	    >/dev/null
	mm-gen --batches 6 --batch-size 256 --seed 12 --drift-at 3 \
	    --drift-features f0,f3 | mm-predict --models m |
	    mm-psi --models m | mm-record --db m.db >/dev/null
	report
	assert_success
	section drifted
	printf '%s\n' "${sec[@]}" >got
	has -x '<p class="note">3 of 6 batches had a drifted feature; 2 features drifted.</p>' got
	# Feature, batches drifted, last drifted: psi_adj is mm-psi's.
	re='^<tr class="drift"><td class="mono">([^<]*)</td><td class="num">([0-9]*)</td>.*<span class="mono">([^<]*)</span> (.*)</td></tr>$'
	rows=
	for line in "${sec[@]}"; do
		[[ $line =~ $re ]] &&
		    rows+="${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]} ${BASH_REMATCH[4]}"$'\n'
	done
	sort -o rows <<<"${rows%$'\n'}"
	assert_equal "$(<rows)" "f0 3 b000005 2025-11-26 06:58:20
f3 3 b000005 2025-11-26 06:58:20"
	# Before the shift, 256 rows of noise: every psi_adj below moderate.
	matches 'b00000[012] · psi_adj [0-9.]*'
	printf -v psi '%s\n' "${found[@]}"
	awk '
	    { n++; if ($NF >= 0.1) bad++ }
	    END { exit !(n == 30 && bad == 0) }' <<<"${psi%$'\n'}"
	assert_tile 'Latest drift' severe
}

@test "drifted features: none in graded batches" {
	fixture graded
	sqlite3 m.db "UPDATE metrics SET drift = CAST(readfile('stable.json')
	    AS TEXT)"
	report
	assert_success
	section drifted
	printf -v got '%s\n' "${sec[@]: -2}"
	IFS= read -r -d '' want <<'EOF' || true
<p class="none">No feature drifted in the 6 batches.</p>
</section>
EOF
	assert_equal "$got" "$want"
	assert_occurs '<tr class="drift">' 0
	assert_occurs 'No feature drifted, so no lines are drawn.' 1
	assert_tile 'Latest drift' stable
}

@test "--config, \$MM_CONFIG or ./config: the bands and alpha of drift.yaml" {
	fixture graded
	mkdir conf
	printf 'moderate: 0.2\nsevere: 0.5\nalpha: 0.001\n' >conf/drift.yaml
	report --config conf
	assert_success
	assert_equal "$stderr" ""
	has 'significant at alpha 0.001 after Benjamini-Hochberg'
	has 'reached moderate (0.2), as mm-psi grades it'
	has '</i>stable (below 0.2)</span>'
	has '</i>moderate (0.2 to 0.5)</span>'
	has '</i>severe (0.5 and above; darker is more)</span>'
	has 'the bands mark moderate (0.2) and severe (0.5)'
	has 'at or below alpha (0.001)'
	has '">0.001</text>'
	# 0.31 is moderate now, not severe; 0.16 is stable.
	assert_occurs 'fill="#facc5b"><title>f0 · b4 · psi_adj' 1
	assert_occurs 'style="background:#c6e6d0"></i>0.1600' 1
	# The same from $MM_CONFIG, and from ./config.
	cp report.html want.html
	MM_CONFIG=conf report
	assert_success
	same want.html report.html
	mv conf config
	report
	assert_success
	same want.html report.html
	# mm-psi's defaults without one.
	rm -r config
	report
	assert_success
	has 'at or below alpha (0.01)'
	report --config nowhere
	assert_failure 2
	assert_equal "$stderr" "mm-report: config directory 'nowhere': No such file or directory"
}

@test "a bad drift.yaml exits 2 and writes nothing" {
	fixture db
	mkdir conf
	printf 'moderate: 0.3\nsevere: 0.2\n' >conf/drift.yaml
	report --config conf
	assert_failure 2
	assert_output ""
	[[ $stderr == "mm-report: conf/drift.yaml"*"'moderate' must be below 'severe'" ]]
	printf 'alpha: lots\n' >conf/drift.yaml
	report --config conf
	assert_failure 2
	[[ $stderr == "mm-report: conf/drift.yaml:1:"* ]]
	[ ! -e report.html ]
}

@test "version cards: state, metrics and card.json" {
	fixture db store
	report
	assert_success
	assert_occurs '<article class="ver' 2
	assert_occurs '<details><summary>card.json</summary>' 2
	has '<article class="ver active">'
	has '<h3>20251126T065320Z <span class="badge a-active">active</span></h3>'
	has '<h3>20251126T065420Z <span class="badge a-staged">staged</span></h3>'
	has '<dt>Rows</dt><dd>225 train, 75 validation</dd>'
	has '&quot;model&quot;: &quot;random_forest&quot;'
	# Newest first.
	matches '<h3>2025[0-9T]*Z'
	[ "${found[0]}" = '<h3>20251126T065420Z' ]
}

@test "--from and --to keep batches and decisions in the range" {
	fixture db
	report --from $((T0 + 120)) --to $((T0 + 240))
	assert_success
	assert_equal "$stderr" ""
	assert_tile Batches 3
	assert_occurs 'class="mk ' 2
	has 'From 2025-11-26 06:55:20 to 2025-11-26 06:57:20 UTC'
	# The same range as UTC dates.
	report --from 2025-11-26T06:55:20Z --to 2025-11-26T06:57:20 -o r2.html
	assert_success
	assert_tile Batches 3 r2.html
	report --from 2025-11-27
	assert_success
	assert_tile Batches 0
	has 'No data: no batches and no decisions in this time range.'
}

@test "--window: the last LEN before --to or the newest" {
	fixture db
	report --window 2m
	assert_success
	assert_tile Batches 3
	report -w 1m --to $((T0 + 120))
	assert_success
	assert_tile Batches 2
}

@test "-o: a file by way of a temporary file beside it, or standard output" {
	fixture db
	report -o out/page.html
	assert_failure 3
	assert_equal "$stderr" "mm-report: out/page.html: cannot create: No such file or directory"
	[ ! -e report.html ]
	mkdir out
	report -o out/page.html --title 'Fraud <prod>'
	assert_success
	assert_output ""
	shopt -s nullglob
	files=(out/*)
	shopt -u nullglob
	# What ls out lists.
	assert_equal "${files[*]#out/}" page.html
	has '<title>Fraud &lt;prod&gt;</title>' out/page.html
	report -o -
	assert_success
	assert_equal "$stderr" ""
	# The last line.
	assert_equal "${output##*$'\n'}" '</html>'
	[ ! -e report.html ]
	# The same page either way.
	report -o file.html
	mm-report --db m.db --models m --now $NOW -o - >stdout.html
	same stdout.html file.html
}

@test "-o: a pipe or a symbolic link is written in place" {
	fixture db
	ln -s target.html link.html
	report -o link.html
	assert_success
	[ -L link.html ]
	read_page target.html
	[ "${page[-1]}" = '</html>' ]
	[ ! -e link.html.tmp ]
	mkfifo pipe
	cat pipe >got.html &
	report -o pipe
	assert_success
	wait
	[ -p pipe ]
	same got.html target.html
}

# Found in review: the page went by way of FILE.tmp, and a link planted
# there was written through.
@test "-o: a link planted at FILE.tmp is not written through" {
	fixture db
	printf 'mine\n' >target
	ln -s target report.html.tmp
	ln -s target .report.html.tmp
	report
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(<target)" "mine"
	[ -f report.html ]
	[ ! -L report.html ]
	read_page
	[ "${page[-1]}" = '</html>' ]
	# Nothing else is left beside it.
	assert_listed '^\.report\.html\.' 1
	report -o out.html --title t
	assert_success
	assert_listed '^\.out\.html\.' 0
}

# The page reports on stored evidence: 0600, unless MM_FILE_MODE.
@test "the page is made 0600, or as MM_FILE_MODE says" {
	fixture db
	umask 022
	report
	assert_success
	assert_equal "$(stat -c %a report.html)" 600
	MM_FILE_MODE=0644 run_split mm-report --db m.db --now $NOW -o w.html
	assert_success
	assert_equal "$(stat -c %a w.html)" 644
	# A page there keeps no mode of its own: it is replaced.
	MM_FILE_MODE=0644 run_split mm-report --db m.db --now $NOW
	assert_success
	assert_equal "$(stat -c %a report.html)" 644
	# A link to no file yet makes one, with the mode too.
	ln -s made.html link.html
	report -o link.html
	assert_success
	assert_equal "$(stat -c %a made.html)" 600
	MM_FILE_MODE=0444 run_split mm-report --db m.db --now $NOW -o x.html
	assert_failure 2
	assert_equal "$stderr" "mm-report: MM_FILE_MODE: '0444' is not a mode such as 0600 or 0640 (octal, letting the owner read and write)"
	[ ! -e x.html ]
}

@test "\$MM_DB and \$MM_MODELS name the database and the store" {
	fixture db store
	MM_DB=m.db MM_MODELS=m run_split mm-report --now $NOW
	assert_success
	assert_tile Batches 6
	assert_occurs '<article class="ver' 2
}

@test "an empty database: every section says no data, exit 0" {
	mm-record --db e.db </dev/null
	run_split mm-report --db e.db --models none --now $NOW
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	assert_occurs 'No data' 8
	has 'No data: no batches and no decisions in the database.'
	has 'No data: no batches.'
	assert_occurs '<svg' 0
}

@test "no labels: no F1 points, the F1 section says why" {
	rec a 0 null v1 0.9 0.01 0.5 stable >in.ndjson
	mm-record --db m.db <in.ndjson >/dev/null
	report
	assert_success
	assert_occurs 'class="ln f1"' 0
	has 'No data: no batch has an F1 yet (F1 needs labels).'
	assert_occurs '<polyline class="ln trust"' 1
}

@test "bad options and values exit 2" {
	fixture db
	report --bogus
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "mm-report: unknown option '--bogus'"
	report --window 5x
	assert_failure 2
	assert_equal "$stderr" "mm-report: --window: '5x' is not a length such as 30m, 24h or 7d"
	report --from yesterday
	assert_failure 2
	assert_equal "$stderr" "mm-report: --from: 'yesterday' is not a time: Unix seconds or a UTC date such as 2025-11-26T06:53:20Z"
	report --to 2025-13-01
	assert_failure 2
	report --from $((T0 + 60)) --window 1h
	assert_failure 2
	assert_equal "$stderr" "mm-report: --window and --from cannot be used together"
	report --from $((T0 + 60)) --to $T0
	assert_failure 2
	assert_equal "$stderr" "mm-report: --from is after --to"
	report -o ''
	assert_failure 2
	report --now soon
	assert_failure 2
	report extra
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "mm-report: unexpected argument 'extra'"
	[ ! -e report.html ]
}

@test "a file that is not SQLite, or no database at all, exits 3" {
	printf 'not a database\n' >bad.db
	run_split mm-report --db bad.db --now $NOW
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "mm-report: bad.db: database error: not an SQLite database"
	assert_equal "$(<bad.db)" "not a database"
	run_split mm-report --db nowhere/m.db --now $NOW
	assert_failure 3
	assert_equal "$stderr" "mm-report: nowhere/m.db: cannot open database: No such file or directory"
	# Nothing is created.
	[ ! -e nowhere ]
	[ ! -e report.html ]
}

@test "a corrupt active.json exits 3; an unreadable card is shown as such" {
	fixture db store
	printf '{"version":' >m/active.json
	report
	assert_failure 3
	[[ $stderr == "mm-report: m/active.json: corrupt: "* ]]
	rm m/active.json
	printf 'junk' >m/versions/20251126T065420Z/card.json
	report
	assert_success
	assert_occurs 'card.json could not be read' 1
	assert_occurs 'badge a-active' 0
}

@test "help and version" {
	run_split mm-report --help
	assert_success
	assert_line --index 0 "usage: mm-report [--config DIR] [--db FILE] [--models DIR] [--from TS] [--to TS]"
	assert_line --index 1 "                 [--window LEN] [-o FILE] [--title TEXT] [--now TS]"
	run_split mm-report --version
	assert_success
	assert_output --regexp '^mm-report [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "headless Chromium renders the page: not blank, no console errors" {
	command -v chromium >/dev/null || skip "chromium is not installed"
	fixture graded store
	report
	assert_success
	run "$MM_TOP/tests/report_screenshot.sh" report.html shot.png
	assert_success
	assert_output ""
	[ -s shot.png ]
}

@test "--from and --to take only times that exist, in decimal seconds or UTC dates" {
	for t in 2025-02-30 2025-11-26T06:53:60Z 2025-13-01 0x10 inf 1e9 \
	    -5 12abc; do
		run_split mm-report --db none.db --from "$t" -o r.html
		assert_failure 2
		assert_equal "$stderr" "mm-report: --from: '$t' is not a time: Unix seconds or a UTC date such as 2025-11-26T06:53:20Z"
	done
	[ ! -e r.html ]
	[ ! -e none.db ]
}
