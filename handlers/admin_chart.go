package handlers

import (
	"math"
	"time"

	"shop/models"
	"shop/payment"
)

// The dashboard's sales chart is an inline SVG laid out here, so that the
// template only places what is computed: no chart library, no script.
// Sizes are SVG user units (at most CSS pixels: admin.css caps the
// chart's width at its own), the labels 14 of them high.
const (
	chartLeft   = 104 // room for the amounts on the y axis
	chartTop    = 14  // room for the top amount's label
	chartPlotH  = 200 // height of the plot area
	chartBottom = 40  // room for the dates
	chartRight  = 24  // room for half of the last date
	chartSlot   = 14  // horizontal room per day
	chartBarW   = 10
	chartTicks  = 4 // at most this many steps on the y axis
)

// salesChart is one bar per day with its axes.
type salesChart struct {
	Width, Height int
	// Summary says what the chart shows, for the <title> and aria-label.
	Summary string
	// The plot area: the y axis at Left, the baseline at Base, up to Top,
	// the baseline drawn to Right.
	Left, Right, Base, Top int
	Bars                   []chartBar
	Ticks                  []chartTick
	Dates                  []chartDate
}

// chartBar is one day's bar; Title names the day and its amount.
type chartBar struct {
	X, Y, W, H int
	Title      string
}

// chartTick is a gridline across the plot with its amount at the left.
type chartTick struct {
	Y     int
	Label string
}

// chartDate is a date under the axis, centred at X.
type chartDate struct {
	X     int
	Label string
}

// newSalesChart lays out days (oldest first, in the merchant's zone) in
// currency cur, with the words of l.
func newSalesChart(days []models.DaySales, cur payment.Currency, l Lang) salesChart {
	ch := salesChart{
		Left: chartLeft, Top: chartTop, Base: chartTop + chartPlotH,
		Right:  chartLeft + chartSlot*len(days),
		Height: chartTop + chartPlotH + chartBottom,
	}
	ch.Width = ch.Right + chartRight
	if len(days) == 0 {
		return ch
	}

	var total, best int64
	bestDay := days[0].Day
	for _, d := range days {
		total += d.Minor
		if d.Minor > best {
			best, bestDay = d.Minor, d.Day
		}
	}
	step := niceStep((best + chartTicks - 1) / chartTicks)
	top := (best + step - 1) / step * step // the y axis ends at a round amount at or above the best day
	for v := int64(0); v <= top; v += step {
		ch.Ticks = append(ch.Ticks, chartTick{Y: ch.Base - barHeight(v, top), Label: formatPrice(v, cur)})
	}

	for i, d := range days {
		h := barHeight(d.Minor, top)
		x := ch.Left + i*chartSlot + (chartSlot-chartBarW)/2
		ch.Bars = append(ch.Bars, chartBar{X: x, Y: ch.Base - h, W: chartBarW, H: h,
			Title: l.Tn("dash.chart.bar", int(d.Orders), "Day", d.Day.Format(time.DateOnly), "Amount", formatPrice(d.Minor, cur))})
		// A date under every seventh bar, counting back from today's.
		if (len(days)-1-i)%7 == 0 {
			ch.Dates = append(ch.Dates, chartDate{X: x + chartBarW/2, Label: shortDate(d.Day, l)})
		}
	}

	from, to := days[0].Day.Format(time.DateOnly), days[len(days)-1].Day.Format(time.DateOnly)
	if total == 0 {
		ch.Summary = l.Tf("dash.chart.empty", "Days", len(days), "From", from, "To", to)
	} else {
		ch.Summary = l.Tf("dash.chart.summary", "Days", len(days), "From", from, "To", to,
			"Total", formatPrice(total, cur), "Best", bestDay.Format(time.DateOnly), "BestAmount", formatPrice(best, cur))
	}
	return ch
}

// barHeight scales v to the plot's height, top being the full height. A
// day with any sale gets at least one unit, so that it shows.
func barHeight(v, top int64) int {
	if v <= 0 || top <= 0 {
		return 0
	}
	h := int(math.Round(float64(v) / float64(top) * chartPlotH))
	return max(h, 1)
}

// niceStep returns the smallest 1, 2 or 5 times a power of ten that is at
// least v (and at least 1): the y axis's step, so that its labels are
// round amounts.
func niceStep(v int64) int64 {
	for p := int64(1); p <= math.MaxInt64/10; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
	}
	return v
}

// shortDate is a day under the chart's axis: "Mar 9", "3月9日".
func shortDate(d time.Time, l Lang) string {
	if l.ZH() {
		return d.Format("1月2日")
	}
	return d.Format("Jan 2")
}
