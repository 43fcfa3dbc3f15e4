# median(a, n): the median of a[1..n] (sorts a); for the summaries of
# bench/compare.sh and bench/status_wrk.sh (awk -f bench/median.awk -f PROGRAM).
function median(a, n,   i, j, t) {
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
