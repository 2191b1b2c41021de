package main

import (
	"fmt"
	"io"
	"time"
)

// p99Target is the latency every scenario must keep at half its peak.
const p99Target = 50 * time.Millisecond

// memoryTarget bounds the shop's peak resident memory.
const memoryTarget = 100 << 20

// row is one line of the report: a scenario against its ceiling.
type row struct {
	r        result
	against  string
	ceiling  float64 // 0: none
	minRatio float64 // 0: no target
}

// report prints the figures as a Markdown table.
func report(w io.Writer, rows []row, rss int64) {
	fmt.Fprintln(w, "| scenario | peak req/s | ratio to ceiling | target | p50 / p99 at half peak | p99 < 50 ms |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, x := range rows {
		ratio, target := "—", "—"
		if x.ceiling > 0 {
			ratio = fmt.Sprintf("%.2f of %s (%.0f/s)", x.r.peak.Rate/x.ceiling, x.against, x.ceiling)
		}
		if x.minRatio > 0 {
			target = fmt.Sprintf("≥ %.2f %s", x.minRatio, verdict(x.r.peak.Rate/x.ceiling >= x.minRatio))
		}
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s / %s at %.0f/s | %s |\n", x.r.name, x.r.peak.Rate, ratio, target,
			ms(x.r.half.P50), ms(x.r.half.P99), x.r.half.Rate, verdict(x.r.half.P99 < p99Target))
	}
	fmt.Fprintf(w, "| shop memory (VmHWM) | %.1f MB | | < 100 MB %s | | |\n", float64(rss)/(1<<20), verdict(rss < memoryTarget))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
