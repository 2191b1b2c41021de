package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// delivery is one request the merchant site received.
type delivery struct {
	Path        string
	Body        []byte
	ContentType string
	Form        url.Values // leniently parsed, for finding out_trade_no
}

// answer is how the merchant site replies to the n-th (1-based) notification
// of an out_trade_no. A test that wants a slow answer moves the sandbox's
// clock in it: the sandbox measures latency on its clock.
type answer func(outTradeNo string, n int) (status int, body string)

// site is the merchant's server: it records notifications (POST /notify)
// and answers them as told.
type site struct {
	srv     *httptest.Server
	arrived *event // fired after each request is recorded

	mu     sync.Mutex
	got    []delivery
	counts map[string]int
	answer answer
	during func(d delivery) // called on each notification before it is answered
}

func newSite(t *testing.T) *site {
	s := &site{counts: map[string]int{}, arrived: newEvent()}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	if len(form) == 0 {
		form = r.URL.Query()
	}
	d := delivery{Path: r.URL.Path, Body: body, ContentType: r.Header.Get("Content-Type"), Form: form}
	s.mu.Lock()
	s.got = append(s.got, d)
	no := form.Get("out_trade_no")
	s.counts[no]++
	n := s.counts[no]
	ans, during := s.answer, s.during
	s.mu.Unlock()
	if during != nil && r.URL.Path == "/notify" {
		// As a merchant does: check the notification (notify_verify)
		// while Alipay waits for the answer.
		during(d)
	}
	s.arrived.fire()
	status, text := http.StatusOK, "success"
	if ans != nil && r.URL.Path == "/notify" {
		status, text = ans(no, n)
	}
	if status >= 300 && status < 400 {
		// Elsewhere answers success: only a client that follows
		// redirects gets there.
		w.Header().Set("Location", "/elsewhere?out_trade_no="+url.QueryEscape(no))
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text)
}

// setDuring has the site call f with each notification it receives,
// before answering it.
func (s *site) setDuring(f func(d delivery)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.during = f
}

func (s *site) setAnswer(a answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = a
}

// deliveries returns what arrived for outTradeNo, in order of arrival.
func (s *site) deliveries(outTradeNo string) []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []delivery
	for _, d := range s.got {
		if d.Form.Get("out_trade_no") == outTradeNo {
			out = append(out, d)
		}
	}
	return out
}

// waitDeliveries waits until at least n notifications of outTradeNo arrived.
func (s *site) waitDeliveries(t *testing.T, outTradeNo string, n int) []delivery {
	t.Helper()
	var ds []delivery
	await(t, s.arrived, func() bool {
		ds = s.deliveries(outTradeNo)
		return len(ds) >= n
	}, func() string {
		return fmt.Sprintf("%d of %d notifications of %s arrived", len(ds), n, outTradeNo)
	})
	return ds
}

// refundDeliveries returns the refund notifications of outReturnNo that
// arrived, in order of arrival.
func (s *site) refundDeliveries(outReturnNo string) []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []delivery
	for _, d := range s.got {
		if d.Form.Get("out_return_no") == outReturnNo {
			out = append(out, d)
		}
	}
	return out
}

// waitRefundDeliveries waits until at least n refund notifications of
// outReturnNo arrived.
func (s *site) waitRefundDeliveries(t *testing.T, outReturnNo string, n int) []delivery {
	t.Helper()
	var ds []delivery
	await(t, s.arrived, func() bool {
		ds = s.refundDeliveries(outReturnNo)
		return len(ds) >= n
	}, func() string {
		return fmt.Sprintf("%d of %d notifications of refund %s arrived", len(ds), n, outReturnNo)
	})
	return ds
}

func (s *site) notifyURL() string { return s.srv.URL + "/notify" }
func (s *site) returnURL() string { return s.srv.URL + "/return" }
