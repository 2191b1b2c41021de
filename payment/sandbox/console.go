package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"gorm.io/gorm"

	"shop/payment"
)

// consolePage is the data of the console template.
type consolePage struct {
	Prefix        string
	Trades        []Trade
	Notifications []Notification
	Refunds       []Refund
	Mail          []Mail // the newest; the mailbox page shows them whole
	Faults        Faults
	Services      []string
	Message       string
}

// console shows trades, notifications with every delivery attempt,
// refunds, the newest e-mails in the mailbox and the fault knobs.
func (s *Sandbox) console(w http.ResponseWriter, r *http.Request) {
	data := consolePage{Prefix: s.cfg.Prefix, Faults: s.Faults(), Message: r.URL.Query().Get("msg"),
		Services: []string{string(payment.ServiceWAP), string(payment.ServicePC), string(payment.ServiceQuery),
			string(payment.ServiceRefund), string(payment.ServiceRefundQuery), string(payment.ServiceNotifyVerify),
			string(payment.ServiceRateFile), string(payment.ServiceCompareFile), string(payment.ServiceLiquidationFile)}}
	err := s.snapshot(r.Context(), func(db *gorm.DB) error {
		return errors.Join(
			db.Order("id DESC").Limit(100).Find(&data.Trades).Error,
			db.Preload("Deliveries", func(tx *gorm.DB) *gorm.DB { return tx.Order("id") }).Order("id DESC").Limit(100).Find(&data.Notifications).Error,
			db.Order("id DESC").Limit(100).Find(&data.Refunds).Error,
			db.Select("id", "recipient", "subject", "received_at").Order("id DESC").Limit(10).Find(&data.Mail).Error,
		)
	})
	if err != nil {
		s.internalError(w, err)
		return
	}
	s.render(w, http.StatusOK, "console", data)
}

// consoleAction handles the console's buttons and then shows the console.
func (s *Sandbox) consoleAction(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	msg, err := s.runConsoleAction(r)
	if err != nil {
		msg = "Error: " + err.Error()
	}
	http.Redirect(w, r, s.path("/")+"?msg="+url.QueryEscape(msg), http.StatusSeeOther)
}

func (s *Sandbox) runConsoleAction(r *http.Request) (string, error) {
	ctx := r.Context()
	switch r.PathValue("action") {
	case "deliver":
		a, err := s.DeliverNow(ctx, r.PostForm.Get("notify_id"))
		if err != nil {
			return "", err
		}
		return "Delivered: HTTP " + strconv.Itoa(a.StatusCode) + " " + a.Body + a.Error, nil
	case "pay", "close":
		t, err := s.findTrade(ctx, r.PostForm.Get("partner"), r.PostForm.Get("out_trade_no"))
		if err != nil {
			return "", err
		}
		if r.PathValue("action") == "pay" {
			_, err = s.pay(ctx, t.ID)
		} else {
			_, err = s.closeTrade(ctx, t.ID)
		}
		return r.PathValue("action") + ": " + t.OutTradeNo, err
	case "faults":
		f := Faults{
			Services: map[string]ServiceFault{}, DuplicateNotify: r.PostForm.Has("duplicate_notify"),
			OutOfOrderNotify: r.PostForm.Has("out_of_order_notify"), CorruptSign: r.PostForm.Has("corrupt_sign"),
			GBKResponses: r.PostForm.Has("gbk_responses"), RefundBalanceNotEnough: r.PostForm.Has("refund_balance_not_enough"),
			AppResult: r.PostForm.Get("app_result"), PaidStatus: payment.TradeStatus(r.PostForm.Get("paid_status")),
			FileFault: r.PostForm.Get("file_fault"),
		}
		for _, svc := range r.PostForm["fail_5xx"] {
			sf := f.Services[svc]
			sf.Fail5xx = true
			f.Services[svc] = sf
		}
		if svc := r.PostForm.Get("delay_service"); svc != "" {
			sf := f.Services[svc]
			sf.DelayMS, _ = strconv.Atoi(r.PostForm.Get("delay_ms"))
			f.Services[svc] = sf
		}
		return "Faults updated.", s.SetFaults(f)
	}
	return "", errors.New("unknown action")
}

// snapshot runs reads in one read-only transaction, so that a notification
// and its attempts (two queries) come from the same moment: never a
// successful attempt beside a state still pending.
func (s *Sandbox) snapshot(ctx context.Context, read func(db *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(read, &sql.TxOptions{ReadOnly: true})
}

// findTrade finds a trade by out_trade_no, within partner when given.
func (s *Sandbox) findTrade(ctx context.Context, partner, outTradeNo string) (*Trade, error) {
	q := s.db.WithContext(ctx).Where("out_trade_no = ?", outTradeNo)
	if partner != "" {
		q = q.Where("partner = ?", partner)
	}
	var ts []Trade
	if err := q.Limit(2).Find(&ts).Error; err != nil {
		return nil, err
	}
	switch len(ts) {
	case 0:
		return nil, errNoTrade
	case 1:
		return &ts[0], nil
	}
	return nil, errors.New("several partners use this out_trade_no: add ?partner=")
}

var errNoTrade = errors.New("no such trade")

// apiError writes {"error":{"code","message"}}.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (s *Sandbox) apiTrade(w http.ResponseWriter, r *http.Request, act func(id uint) (*Trade, error)) {
	t, err := s.findTrade(r.Context(), r.URL.Query().Get("partner"), r.PathValue("out_trade_no"))
	if errors.Is(err, errNoTrade) {
		apiError(w, http.StatusNotFound, "TRADE_NOT_EXIST", "no trade with that out_trade_no")
		return
	} else if err != nil {
		apiError(w, http.StatusBadRequest, "ILLEGAL_ARGUMENT", err.Error())
		return
	}
	t, err = act(t.ID)
	if errors.Is(err, errNotPayable) {
		ge := closedFailure()
		apiError(w, http.StatusConflict, ge.Code, ge.Detail)
		return
	} else if err != nil {
		apiError(w, http.StatusConflict, "TRADE_STATUS_ERROR", err.Error())
		return
	}
	tradeNo := ""
	if t.TradeNo != nil {
		tradeNo = *t.TradeNo
	}
	writeJSON(w, http.StatusOK, map[string]string{"out_trade_no": t.OutTradeNo, "trade_no": tradeNo, "trade_status": t.Status})
}

// apiPay acts as the buyer who pays: POST /api/trades/{out_trade_no}/pay.
func (s *Sandbox) apiPay(w http.ResponseWriter, r *http.Request) {
	s.apiTrade(w, r, func(id uint) (*Trade, error) { return s.pay(r.Context(), id) })
}

// apiClose closes the trade as its timeout would.
func (s *Sandbox) apiClose(w http.ResponseWriter, r *http.Request) {
	s.apiTrade(w, r, func(id uint) (*Trade, error) { return s.closeTrade(r.Context(), id) })
}

func (s *Sandbox) apiTrades(w http.ResponseWriter, r *http.Request) {
	var ts []Trade
	if err := s.db.WithContext(r.Context()).Order("id DESC").Limit(500).Find(&ts).Error; err != nil {
		apiError(w, http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"trades": ts})
}

// apiNotifications lists notifications with their delivery attempts.
func (s *Sandbox) apiNotifications(w http.ResponseWriter, r *http.Request) {
	var ns []Notification
	err := s.snapshot(r.Context(), func(db *gorm.DB) error {
		q := db.Preload("Deliveries", func(tx *gorm.DB) *gorm.DB { return tx.Order("id") }).Order("id")
		if o := r.URL.Query().Get("out_trade_no"); o != "" {
			q = q.Where("out_trade_no = ?", o)
		}
		return q.Limit(500).Find(&ns).Error
	})
	if err != nil {
		apiError(w, http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": ns})
}

// apiDeliver delivers a notification now and answers the attempt.
func (s *Sandbox) apiDeliver(w http.ResponseWriter, r *http.Request) {
	a, err := s.DeliverNow(r.Context(), r.PathValue("notify_id"))
	if errors.Is(err, gorm.ErrRecordNotFound) {
		apiError(w, http.StatusNotFound, "NOTIFY_NOT_EXIST", "no notification with that notify_id")
		return
	} else if err != nil {
		apiError(w, http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Sandbox) apiRefunds(w http.ResponseWriter, r *http.Request) {
	var rs []Refund
	if err := s.db.WithContext(r.Context()).Order("id").Limit(500).Find(&rs).Error; err != nil {
		apiError(w, http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"refunds": rs})
}

func (s *Sandbox) apiFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

// apiSetFaults replaces the fault knobs with the JSON body (omitted fields
// take their defaults).
func (s *Sandbox) apiSetFaults(w http.ResponseWriter, r *http.Request) {
	f := defaultFaults()
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		apiError(w, http.StatusBadRequest, "ILLEGAL_ARGUMENT", "faults: "+err.Error())
		return
	}
	if err := s.SetFaults(f); err != nil {
		apiError(w, http.StatusBadRequest, "ILLEGAL_ARGUMENT", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.Faults())
}
