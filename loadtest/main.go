// Command loadtest builds the shop, starts it in sandbox mode on a
// temporary SQLite file and a loopback port, and measures it with vegeta:
// the catalog page, a product page, order creation through the JSON API
// and distinct signed payment notifications, each first as fast as it
// answers (the peak) and then at half that rate (for latency). In the
// same run it measures the machine's ceilings — a static asset from the
// same server, a bare RSA-2048 signature per core, a bare SQLite immediate
// transaction with the shop's settings — and prints each figure against
// its ceiling and its target, with the shop's peak memory. It stops the
// shop and removes its files when it is done.
//
//	go run ./loadtest [-duration 4s] [-workers 64]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"shop/assets"
	"shop/models"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	duration, ceiling time.Duration
	workers, senders  int
	notifyPool        int
	maxOrders         int
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.DurationVar(&o.duration, "duration", 4*time.Second, "length of each pass (peak, then half the peak) of each scenario")
	fs.DurationVar(&o.ceiling, "ceiling", 2*time.Second, "length of each bare ceiling measurement (RSA sign, SQLite transaction)")
	fs.IntVar(&o.workers, "workers", 64, "concurrent clients for the page scenarios at peak")
	fs.IntVar(&o.senders, "senders", 16, "concurrent clients for orders and notifications at peak, and writers of the bare transaction")
	fs.IntVar(&o.notifyPool, "notifications", 3000, "at least this many distinct notifications are signed for the notify scenario")
	fs.IntVar(&o.maxOrders, "orders", 4500, "at most this many API orders in both passes (253 client addresses, a burst of 20 each)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.duration <= 0 || o.ceiling <= 0 || o.workers < 1 || o.senders < 1 || o.notifyPool < 3 || o.maxOrders < 3 {
		return o, errors.New("durations and counts must be positive")
	}
	if o.maxOrders > 5000 {
		return o, errors.New("-orders: more than 5000 would meet the per-client limit of the 253 client addresses")
	}
	return o, nil
}

// result is one scenario's figures.
type result struct {
	name       string
	peak, half pass
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "shop-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(stdout, "building the shop from %s …\n", root)
	bin, err := buildShop(ctx, root, dir)
	if err != nil {
		return err
	}

	cores := runtime.NumCPU()
	loadBefore := loadAverage()
	s, err := startShop(bin, dir, nil)
	if err != nil {
		return err
	}
	defer s.stop()
	db, err := models.Open(ctx, s.DBPath, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	productID, productPath, err := prepare(ctx, db)
	if err != nil {
		return err
	}

	pages := keepAliveClient(o.workers)
	var results []result
	measure := func(name string, run func(rate float64) pass) result {
		fmt.Fprintf(stdout, "%s: peak …", name)
		r := result{name: name, peak: run(0)}
		fmt.Fprintf(stdout, " %.0f/s; half …", r.peak.Rate)
		r.half = run(r.peak.Rate / 2)
		fmt.Fprintf(stdout, " p99 %s\n", r.half.P99.Round(10*time.Microsecond))
		results = append(results, r)
		return r
	}
	page := func(path string) func(float64) pass {
		return func(rate float64) pass {
			return attack(ctx, pages, fixedTarget("GET", s.URL+path), o.workers, rate, o.duration, statusIs(200), nil)
		}
	}
	static := measure("static "+assets.Path("style.css"), page(assets.Path("style.css")))
	catalog := measure("catalog /", page("/"))
	product := measure("product "+productPath, page(productPath))

	// Each ceiling is measured just before the scenario it bounds, while
	// the shop idles, so that both see the machine in the same state.
	fmt.Fprintf(stdout, "ceiling: RSA-2048 sign on one core (%s) …\n", o.ceiling)
	signPerCore, err := signRatePerCore(o.ceiling)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var orders []paidOrder
	var ordered atomic.Int64
	budget := int64(o.maxOrders) * 2 / 3
	orderPasses := measure("order POST /api/orders", func(rate float64) pass {
		if rate > 0 {
			budget = int64(o.maxOrders)
		}
		return attack(ctx, manyAddressClient(), ordersTarget(s.URL+"/api/orders", productID, &ordered, budget),
			o.senders, rate, o.duration, statusIs(201), keepOrders(&mu, &orders))
	})

	fmt.Fprintf(stdout, "signing notifications for %d orders …\n", max(len(orders), o.notifyPool))
	if orders, err = topUp(ctx, db, productID, orders, o.notifyPool); err != nil {
		return err
	}
	bodies, err := notifications(s.DBPath, orders)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ceiling: SQLite immediate transactions, %d writers (%s) …\n", o.senders, o.ceiling)
	tx, err := txRate(ctx, dir, o.senders, o.ceiling)
	if err != nil {
		return err
	}
	var sent atomic.Int64
	limit := int64(len(bodies)) * 2 / 3
	notify := measure("notify POST /alipay/notify", func(rate float64) pass {
		if rate > 0 {
			sent.Store(min(sent.Load(), limit))
			limit = int64(len(bodies))
		}
		tr := bodiesTarget(s.URL+"/alipay/notify", "application/x-www-form-urlencoded", bodies, &sent, limit)
		return attack(ctx, keepAliveClient(o.senders), tr, o.senders, rate, o.duration, notifyAnswer, nil)
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	rss, err := s.peakRSS()
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "\n%d cores (load average %s before, %s after), %s a pass, %d page clients and %d order/notify clients at peak; "+
		"ceilings: static %.0f/s, RSA-2048 sign %.0f/s per core × %d = %.0f/s, SQLite immediate tx %.0f/s\n\n",
		cores, loadBefore, loadAverage(), o.duration, o.workers, o.senders, static.peak.Rate, signPerCore, cores,
		signPerCore*float64(cores), tx)
	report(stdout, []row{
		{static, "static", 0, 0},
		{catalog, "static", static.peak.Rate, 0.5},
		{product, "static", static.peak.Rate, 0},
		{orderPasses, "RSA sign × cores", signPerCore * float64(cores), 0.6},
		{notify, "SQLite tx", tx, 0.5},
	}, rss)
	for _, r := range results {
		if n := r.peak.errorCount() + r.half.errorCount(); n > 0 {
			err = errors.Join(err, fmt.Errorf("%s: %d wrong answers: %s %s", r.name, n, r.peak.errorSummary(), r.half.errorSummary()))
		}
	}
	return err
}
