# Under CI=true, tests/run.sh passes every suite's output through this program: a line
# "skip SUITE: NAME: reason" whose "SUITE: NAME" is not listed in the file `allowed`
# (lines "SUITE: NAME — reason", with a reason; # comments) becomes a FAIL line, so a
# CI run never passes a check it did not run without a recorded reason. Every other
# line passes through unchanged.
#   awk -v allowed=tests/allowed-skips -f tests/judge_skips.awk
BEGIN {
	sep = " — "
	while ((getline l < allowed) > 0) {
		if (l ~ /^[[:space:]]*(#|$)/)
			continue
		i = index(l, sep)
		if (i > 1 && substr(l, i + length(sep)) ~ /[^[:space:]]/)
			ok[substr(l, 1, i - 1) ": "] = 1
	}
}
/^skip / {
	rest = substr($0, 6)
	listed = 0
	for (k in ok)
		if (substr(rest, 1, length(k)) == k)
			listed = 1
	if (!listed) {
		print "FAIL " rest " (skipped under CI=true, and tests/allowed-skips does not list it)"
		fflush()
		next
	}
}
{ print; fflush() }
