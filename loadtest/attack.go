package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// pass is what one attack measured.
type pass struct {
	Rate     float64 // successful requests per second
	P50, P99 time.Duration
	Requests uint64
	Errors   map[string]int // error or status -> count
}

func (p pass) errorCount() int {
	n := 0
	for _, c := range p.Errors {
		n += c
	}
	return n
}

func (p pass) errorSummary() string {
	var s []string
	for e, c := range p.Errors {
		s = append(s, fmt.Sprintf("%d× %s", c, e))
	}
	sort.Strings(s)
	return strings.Join(s, "; ")
}

// attack runs one pass: rate 0 is a closed loop of `workers` clients as
// fast as the server answers; otherwise a constant rate. It stops after d,
// when the targeter runs out, or when ctx ends. check, if not nil, marks
// a wrong answer as an error; keep, if not nil, sees every successful
// result (for the orders' bodies).
func attack(ctx context.Context, client *http.Client, tr vegeta.Targeter, workers int, rate float64, d time.Duration,
	check, keep func(*vegeta.Result)) pass {
	opts := []func(*vegeta.Attacker){vegeta.Client(client), vegeta.Workers(uint64(workers))}
	pacer := vegeta.ConstantPacer{}
	if rate > 0 {
		pacer = vegeta.ConstantPacer{Freq: max(int(rate), 1), Per: time.Second}
		// Enough workers to keep the rate even when answers slow down.
		opts = append(opts, vegeta.MaxWorkers(uint64(4*workers)))
	} else {
		opts = append(opts, vegeta.MaxWorkers(uint64(workers)))
	}
	a := vegeta.NewAttacker(opts...)
	stop := context.AfterFunc(ctx, func() { a.Stop() })
	defer stop()
	var m vegeta.Metrics
	errs := map[string]int{}
	good := 0
	for res := range a.Attack(tr, pacer, d, "") {
		if res.Error == vegeta.ErrNoTargets.Error() {
			continue // the targeter ran out: not a request
		}
		if check != nil {
			check(res)
		}
		m.Add(res)
		if res.Error != "" {
			errs[errorKey(res)]++
			continue
		}
		good++
		if keep != nil {
			keep(res)
		}
	}
	m.Close()
	// Only right answers count, over the time from the first request to
	// the last answer.
	measured := 0.0
	if span := m.End.Sub(m.Earliest); span > 0 {
		measured = float64(good) / span.Seconds()
	}
	return pass{Rate: measured, P50: m.Latencies.P50, P99: m.Latencies.P99, Requests: m.Requests, Errors: errs}
}

func errorKey(res *vegeta.Result) string {
	if res.Code != 0 {
		body := string(res.Body)
		if len(body) > 80 {
			body = body[:80]
		}
		return fmt.Sprintf("%d %s", res.Code, strings.TrimSpace(body))
	}
	return res.Error
}

// keepAliveClient is one client with a pool of keep-alive connections,
// as a browser or a reverse proxy would hold.
func keepAliveClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: conns, MaxConnsPerHost: 0, DisableCompression: true,
	}}
}

// manyAddressClient opens a new connection for every request, each from
// the next loopback address of 127.0.0.2 to 127.0.0.254: the shop limits
// order creation per client address, and one address would measure the
// limit instead of the shop.
func manyAddressClient() *http.Client {
	var next atomic.Uint64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		ip := net.IPv4(127, 0, 0, byte(2+next.Add(1)%loopbackClients))
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: dial, DisableKeepAlives: true, DisableCompression: true,
	}}
}

// loopbackClients is how many client addresses the order scenario uses.
const loopbackClients = 253

// fixedTarget asks for the same request again and again.
func fixedTarget(method, url string) vegeta.Targeter {
	return func(t *vegeta.Target) error {
		*t = vegeta.Target{Method: method, URL: url}
		return nil
	}
}

// bodiesTarget posts each body once, then says it has no more targets.
func bodiesTarget(url, contentType string, bodies [][]byte, next *atomic.Int64, limit int64) vegeta.Targeter {
	hdr := http.Header{"Content-Type": []string{contentType}}
	return func(t *vegeta.Target) error {
		i := next.Add(1) - 1
		if i >= limit || i >= int64(len(bodies)) {
			return vegeta.ErrNoTargets
		}
		*t = vegeta.Target{Method: http.MethodPost, URL: url, Body: bodies[i], Header: hdr}
		return nil
	}
}
