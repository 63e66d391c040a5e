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

# One section of report.html, from its <section> line to </section>.
section() {
	sed -n "/^<section id=\"$1\">/,/^<\/section>/p" "${2:-report.html}"
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

report() {
	run_split mm-report --db m.db --models m --now $NOW "$@"
}

# How many times a fixed string occurs in a file.
occurs() {
	grep -oF -- "$1" "$2" | wc -l
}

# The value of the summary tile named $1.
tile() {
	grep -o "<div class=\"k\">$1</div><div class=\"v[^\"]*\">[^<]*" \
	    "${2:-report.html}" | sed 's/.*>//'
}

@test "a page with every section, self-contained, and nothing printed" {
	make_db
	make_store
	report
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	[ -s report.html ]
	# Nothing left beside it.
	assert_equal "$(ls -A | grep -c 'report\.html.')" 0
	head -n 1 report.html | grep -qx '<!DOCTYPE html>'
	tail -n 1 report.html | grep -qx '</html>'
	# Nothing to fetch: no scripts, links, sources or URLs.
	for s in 'http://' 'https://' '<script' '<link' ' src=' 'url(' \
	    '@import' '<img' '<iframe'; do
		assert_equal "$(occurs "$s" report.html)" 0
	done
	for h in 'Trust score' 'F1 against the baseline' 'Drifted features' \
	    'Drift: psi_adj per feature' 'Drift: p-values' 'Decisions' \
	    'Model versions'; do
		assert_equal "$(occurs "<h2>$h</h2>" report.html)" 1
	done
	# Nothing in metrics.drift: the one section that needs it says so.
	assert_equal "$(occurs 'No data' report.html)" 1
	assert_equal "$(occurs 'No data: no batch was graded feature by feature (recorded before per-feature drift).' report.html)" 1
	assert_equal "$(tile Batches)" 6
	assert_equal "$(tile 'Latest trust')" 0.620
	assert_equal "$(tile 'Latest drift')" severe
	assert_equal "$(tile 'Active version')" 20251126T065320Z
}

@test "one marker per decision other than none, by action" {
	make_db
	report
	assert_success
	assert_equal "$(occurs 'class="mk ' report.html)" 4
	assert_equal "$(occurs 'class="mk mk-retrain"' report.html)" 1
	assert_equal "$(occurs 'class="mk mk-promote"' report.html)" 1
	assert_equal "$(occurs 'class="mk mk-reject"' report.html)" 1
	# Skipped: drawn hollow.
	assert_equal "$(occurs 'class="mk mk-rollback hollow"' report.html)" 1
	assert_equal "$(tile Decisions)" 4
}

@test "the decisions table: a row each, reasons escaped, none counted" {
	make_db
	report
	assert_success
	assert_equal "$(occurs '<tr class="dec">' report.html)" 4
	grep -q '<td class="reason">f1 &lt;b&gt;fell&lt;/b&gt; &amp; &quot;more&quot;</td>' report.html
	assert_equal "$(occurs '<b>fell' report.html)" 0
	grep -q '<td class="nowrap">2025-11-26 06:54:50</td><td><span class="badge a-retrain">retrain</span></td><td>b1</td>' report.html
	grep -q '<td>skipped<div class="detail">no previous version to roll back to</div></td>' report.html
	grep -q '5 decisions: 1 promote, 1 retrain, 1 reject, 1 rollback, 1 none (not listed). Newest first:</p>' report.html
	# Newest first.
	assert_equal "$(grep -o '<span class="badge a-[a-z]*">' report.html | sed 's/.*a-//; s/">//' | tr '\n' ' ')" \
	    'rollback reject promote retrain '
}

@test "F1 against the baseline: gaps without labels, version changes" {
	make_db
	report
	assert_success
	# b2 has no F1: two F1 lines, b0-b1 and b3-b5.
	assert_equal "$(occurs '<polyline class="ln f1"' report.html)" 2
	assert_equal "$(occurs '<line class="vc"' report.html)" 1
	grep -q '<text class="vlabel"[^>]*>v2</text>' report.html
	grep -q 'version change (1)' report.html
}

@test "drift before metrics.drift: the heat map of PSI, p-values" {
	make_db
	sqlite3 m.db "UPDATE metrics SET drift = NULL"
	report
	assert_success
	# Nothing is graded, so no feature drifted and no lines are drawn.
	assert_equal "$(occurs 'No feature drifted, so no lines are drawn.' report.html)" 1
	assert_equal "$(occurs '<polyline class="ln s' report.html)" 0
	assert_equal "$(occurs '6 batches recorded before psi_adj show PSI.' report.html)" 1
	# The heat map colours the PSI columns: 0.45 severe, 0.05 green.
	assert_equal "$(occurs 'fill="#cd5353"><title>f0 · b4 · PSI 0.4500 · p-value 1e-20</title>' report.html)" 1
	assert_equal "$(occurs 'fill="#d6eddd"><title>f0 · b2 · PSI 0.0500 · p-value 0.600</title>' report.html)" 1
	# p-values of 1e-20 and 0 are significant, at the floor.  With two
	# features, b2's 0.6 and 0.9 adjust to min(0.6 * 2, 0.9 * 2 / 2).
	assert_equal "$(occurs '<circle class="pv sig"' report.html)" 2
	grep -q 'b4 · adjusted p-value 2e-20 · smallest p-value 1e-20 (f0)' report.html
	grep -q 'b5 · adjusted p-value 0 · smallest p-value 0 (f0)' report.html
	grep -q 'b2 · adjusted p-value 0.900 · smallest p-value 0.600 (f0)' report.html
}

@test "drifted features: from metrics.drift, ranked, names escaped" {
	make_db
	grade_db
	report
	assert_success
	assert_equal "$stderr" ""
	section drifted >got
	cat >want <<'EOF'
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
	diff -u want got
	assert_equal "$(occurs 'x<&>' report.html)" 0
	# Their psi_adj lines, ringed where they drifted, named below.
	assert_equal "$(occurs '<polyline class="ln s0"' report.html)" 1
	assert_equal "$(occurs '<polyline class="ln s1"' report.html)" 1
	assert_equal "$(occurs '<circle class="dd ' report.html)" 3
	assert_equal "$(occurs '</svg>x&lt;&amp;&gt;&quot;y</span>' report.html)" 1
	assert_equal "$(occurs 'class="band band-moderate"' report.html)" 1
	assert_equal "$(occurs 'class="band band-severe"' report.html)" 1
	# The heat map colours psi_adj; b0 has only its PSI.
	assert_equal "$(occurs '<title>f0 · b4 · psi_adj 0.3100 (PSI 0.4500) · p-value 1e-20 · drifted</title>' report.html)" 1
	assert_equal "$(occurs 'fill="#f0f7f2"><title>f0 · b2 · psi_adj 0.0000 (PSI 0.0400) · p-value 0.700</title>' report.html)" 1
	assert_equal "$(occurs '<title>f0 · b0 · PSI 0.0300 · p-value 0.800</title>' report.html)" 1
	assert_equal "$(tile 'Latest drift')" severe
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
	section drifted >got
	grep -qx '<p class="note">3 of 6 batches had a drifted feature; 2 features drifted.</p>' got
	# Feature, batches drifted, last drifted: psi_adj is mm-psi's.
	sed -n 's|^<tr class="drift"><td class="mono">\([^<]*\)</td><td class="num">\([0-9]*\)</td>.*<span class="mono">\([^<]*\)</span> \(.*\)</td></tr>$|\1 \2 \3 \4|p' got |
	    sort >rows
	cat >want <<'EOF'
f0 3 b000005 2025-11-26 06:58:20
f3 3 b000005 2025-11-26 06:58:20
EOF
	diff -u want rows
	# Before the shift, 256 rows of noise: every psi_adj below moderate.
	grep -o 'b00000[012] · psi_adj [0-9.]*' report.html | awk '
	    { n++; if ($NF >= 0.1) bad++ }
	    END { exit !(n == 30 && bad == 0) }'
	assert_equal "$(tile 'Latest drift')" severe
}

@test "drifted features: none in graded batches" {
	make_db
	grade_db
	sqlite3 m.db "UPDATE metrics SET drift = CAST(readfile('stable.json')
	    AS TEXT)"
	report
	assert_success
	section drifted | tail -n 2 >got
	cat >want <<'EOF'
<p class="none">No feature drifted in the 6 batches.</p>
</section>
EOF
	diff -u want got
	assert_equal "$(occurs '<tr class="drift">' report.html)" 0
	assert_equal "$(occurs 'No feature drifted, so no lines are drawn.' report.html)" 1
	assert_equal "$(tile 'Latest drift')" stable
}

@test "--config, \$MM_CONFIG or ./config: the bands and alpha of drift.yaml" {
	make_db
	grade_db
	mkdir conf
	printf 'moderate: 0.2\nsevere: 0.5\nalpha: 0.001\n' >conf/drift.yaml
	report --config conf
	assert_success
	assert_equal "$stderr" ""
	grep -q 'significant at alpha 0.001 after Benjamini-Hochberg' report.html
	grep -q 'reached moderate (0.2), as mm-psi grades it' report.html
	grep -q '</i>stable (below 0.2)</span>' report.html
	grep -q '</i>moderate (0.2 to 0.5)</span>' report.html
	grep -q '</i>severe (0.5 and above; darker is more)</span>' report.html
	grep -q 'the bands mark moderate (0.2) and severe (0.5)' report.html
	grep -q 'at or below alpha (0.001)' report.html
	grep -q '">0.001</text>' report.html
	# 0.31 is moderate now, not severe; 0.16 is stable.
	assert_equal "$(occurs 'fill="#facc5b"><title>f0 · b4 · psi_adj' report.html)" 1
	assert_equal "$(occurs 'style="background:#c6e6d0"></i>0.1600' report.html)" 1
	# The same from $MM_CONFIG, and from ./config.
	cp report.html want.html
	MM_CONFIG=conf report
	assert_success
	cmp want.html report.html
	mv conf config
	report
	assert_success
	cmp want.html report.html
	# mm-psi's defaults without one.
	rm -r config
	report
	assert_success
	grep -q 'at or below alpha (0.01)' report.html
	report --config nowhere
	assert_failure 2
	assert_equal "$stderr" "mm-report: config directory 'nowhere': No such file or directory"
}

@test "a bad drift.yaml exits 2 and writes nothing" {
	make_db
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
	make_db
	make_store
	report
	assert_success
	assert_equal "$(occurs '<article class="ver' report.html)" 2
	assert_equal "$(occurs '<details><summary>card.json</summary>' report.html)" 2
	grep -q '<article class="ver active">' report.html
	grep -q '<h3>20251126T065320Z <span class="badge a-active">active</span></h3>' report.html
	grep -q '<h3>20251126T065420Z <span class="badge a-staged">staged</span></h3>' report.html
	grep -q '<dt>Rows</dt><dd>225 train, 75 validation</dd>' report.html
	grep -q '&quot;model&quot;: &quot;random_forest&quot;' report.html
	# Newest first.
	[ "$(grep -o '<h3>2025[0-9T]*Z' report.html | head -n 1)" = \
	    '<h3>20251126T065420Z' ]
}

@test "--from and --to keep batches and decisions in the range" {
	make_db
	report --from $((T0 + 120)) --to $((T0 + 240))
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(tile Batches)" 3
	assert_equal "$(occurs 'class="mk ' report.html)" 2
	grep -q 'From 2025-11-26 06:55:20 to 2025-11-26 06:57:20 UTC' report.html
	# The same range as UTC dates.
	report --from 2025-11-26T06:55:20Z --to 2025-11-26T06:57:20 -o r2.html
	assert_success
	assert_equal "$(tile Batches r2.html)" 3
	report --from 2025-11-27
	assert_success
	assert_equal "$(tile Batches)" 0
	grep -q 'No data: no batches and no decisions in this time range.' report.html
}

@test "--window: the last LEN before --to or the newest" {
	make_db
	report --window 2m
	assert_success
	assert_equal "$(tile Batches)" 3
	report -w 1m --to $((T0 + 120))
	assert_success
	assert_equal "$(tile Batches)" 2
}

@test "-o: a file by way of a temporary file beside it, or standard output" {
	make_db
	report -o out/page.html
	assert_failure 3
	assert_equal "$stderr" "mm-report: out/page.html: cannot create: No such file or directory"
	[ ! -e report.html ]
	mkdir out
	report -o out/page.html --title 'Fraud <prod>'
	assert_success
	assert_output ""
	ls out >files
	assert_equal "$(cat files)" page.html
	grep -q '<title>Fraud &lt;prod&gt;</title>' out/page.html
	report -o -
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(printf '%s\n' "$output" | tail -n 1)" '</html>'
	[ ! -e report.html ]
	# The same page either way.
	report -o file.html
	mm-report --db m.db --models m --now $NOW -o - | cmp - file.html
}

@test "-o: a pipe or a symbolic link is written in place" {
	make_db
	ln -s target.html link.html
	report -o link.html
	assert_success
	[ -L link.html ]
	tail -n 1 target.html | grep -qx '</html>'
	[ ! -e link.html.tmp ]
	mkfifo pipe
	cat pipe >got.html &
	report -o pipe
	assert_success
	wait
	[ -p pipe ]
	cmp got.html target.html
}

# Found in review: the page went by way of FILE.tmp, and a link planted
# there was written through.
@test "-o: a link planted at FILE.tmp is not written through" {
	make_db
	printf 'mine\n' >target
	ln -s target report.html.tmp
	ln -s target .report.html.tmp
	report
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(cat target)" "mine"
	[ -f report.html ] && [ ! -L report.html ]
	tail -n 1 report.html | grep -qx '</html>'
	# Nothing else is left beside it.
	assert_equal "$(ls -A | grep -c '^\.report\.html\.')" 1
	report -o out.html --title t
	assert_success
	assert_equal "$(ls -A | grep -c '^\.out\.html\.')" 0
}

# The page reports on stored evidence: 0600, unless MM_FILE_MODE.
@test "the page is made 0600, or as MM_FILE_MODE says" {
	make_db
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
	make_db
	make_store
	MM_DB=m.db MM_MODELS=m run_split mm-report --now $NOW
	assert_success
	assert_equal "$(tile Batches)" 6
	assert_equal "$(occurs '<article class="ver' report.html)" 2
}

@test "an empty database: every section says no data, exit 0" {
	mm-record --db e.db </dev/null
	run_split mm-report --db e.db --models none --now $NOW
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	assert_equal "$(occurs 'No data' report.html)" 8
	grep -q 'No data: no batches and no decisions in the database.' report.html
	grep -q 'No data: no batches.' report.html
	assert_equal "$(occurs '<svg' report.html)" 0
}

@test "no labels: no F1 points, the F1 section says why" {
	rec a 0 null v1 0.9 0.01 0.5 stable | mm-record --db m.db >/dev/null
	report
	assert_success
	assert_equal "$(occurs 'class="ln f1"' report.html)" 0
	grep -q 'No data: no batch has an F1 yet (F1 needs labels).' report.html
	assert_equal "$(occurs '<polyline class="ln trust"' report.html)" 1
}

@test "bad options and values exit 2" {
	make_db
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
	assert_equal "$(cat bad.db)" "not a database"
	run_split mm-report --db nowhere/m.db --now $NOW
	assert_failure 3
	assert_equal "$stderr" "mm-report: nowhere/m.db: cannot open database: No such file or directory"
	# Nothing is created.
	[ ! -e nowhere ]
	[ ! -e report.html ]
}

@test "a corrupt active.json exits 3; an unreadable card is shown as such" {
	make_db
	make_store
	printf '{"version":' >m/active.json
	report
	assert_failure 3
	[[ $stderr == "mm-report: m/active.json: corrupt: "* ]]
	rm m/active.json
	printf 'junk' >m/versions/20251126T065420Z/card.json
	report
	assert_success
	assert_equal "$(occurs 'card.json could not be read' report.html)" 1
	assert_equal "$(occurs 'badge a-active' report.html)" 0
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
	make_db
	grade_db
	make_store
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
	[ ! -e r.html ] && [ ! -e none.db ]
}
