package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"shop/payment"
)

// retryGaps are the waits between Alipay's delivery attempts: the first at
// once, then 2m, 10m, 10m, 1h, 2h, 6h and 15h after each other, eight in all.
var retryGaps = []time.Duration{
	2 * time.Minute, 10 * time.Minute, 10 * time.Minute, time.Hour,
	2 * time.Hour, 6 * time.Hour, 15 * time.Hour,
}

// MaxAttempts is how many times a notification is sent before the sandbox,
// like Alipay, gives up.
const MaxAttempts = 8

// queueNotification creates a notification of t in status, due at, signed
// now so that every retry sends the same body with the same notify_id.
func (s *Sandbox) queueNotification(tx *gorm.DB, t *Trade, status payment.TradeStatus, at time.Time, corruptSign bool) error {
	p := tradeFields(t)
	p["trade_status"] = string(status)
	p["notify_id"] = newNotifyID()
	p["notify_type"] = "trade_status_sync"
	p["notify_time"] = payment.FormatTime(at)
	p["seller_id"] = t.Partner
	p["buyer_id"], p["buyer_email"] = t.BuyerID, t.BuyerEmail
	p["gmt_create"] = payment.FormatTime(t.CreatedAt)
	if t.PaidAt != nil {
		p["gmt_payment"] = payment.FormatTime(*t.PaidAt)
	}
	signed, err := s.signFor(t, p, corruptSign)
	if err != nil {
		return err
	}
	body, err := encodeForm(signed, t.Charset)
	if err != nil {
		return err
	}
	n := &Notification{
		NotifyID: p["notify_id"], Partner: t.Partner, TradeID: t.ID, OutTradeNo: t.OutTradeNo,
		TradeStatus: string(status), Kind: kindTrade, URL: t.NotifyURL, Body: body,
		ContentType: "application/x-www-form-urlencoded; charset=" + strings.ToLower(t.Charset),
		State:       statePending, NextAt: &at,
	}
	return tx.Create(n).Error
}

// encodeForm form-encodes p with its values in charset (GBK merchants get
// GBK bytes, percent-encoded).
func encodeForm(p payment.Params, charset string) (string, error) {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		v, err := payment.EncodeCharset(p[k], charset)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(string(v)))
	}
	return b.String(), nil
}

// newNotifyID makes a 34-character id shaped like Alipay's.
func newNotifyID() string {
	b := make([]byte, 17)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// deliverDue sends every notification that is due and returns when the
// next one will be.
func (s *Sandbox) deliverDue(ctx context.Context, now time.Time) (time.Time, error) {
	var due []Notification
	err := s.db.WithContext(ctx).Where("state = ? AND next_at <= ?", statePending, now).
		Order("next_at, id").Limit(50).Find(&due).Error
	if err != nil {
		return time.Time{}, err
	}
	// Trades are delivered in parallel, but the notifications of one trade
	// one after the other in the order they are due: the out-of-order
	// fault relies on TRADE_FINISHED going out before TRADE_SUCCESS.
	var byTrade [][]*Notification
	index := map[uint]int{}
	for i := range due {
		n := &due[i]
		j, ok := index[n.TradeID]
		if !ok {
			j = len(byTrade)
			index[n.TradeID] = j
			byTrade = append(byTrade, nil)
		}
		byTrade[j] = append(byTrade[j], n)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, ns := range byTrade {
		wg.Add(1)
		sem <- struct{}{}
		go func(ns []*Notification) {
			defer wg.Done()
			defer func() { <-sem }()
			for _, n := range ns {
				if _, err := s.deliver(ctx, n, false); err != nil && ctx.Err() == nil {
					s.log.Error("sandbox: delivery", "notify_id", n.NotifyID, "err", err)
				}
			}
		}(ns)
	}
	wg.Wait()
	var next Notification
	err = s.db.WithContext(ctx).Where("state = ? AND next_at IS NOT NULL", statePending).Order("next_at").Limit(1).Find(&next).Error
	if err != nil || next.NextAt == nil {
		return time.Time{}, err
	}
	return *next.NextAt, nil
}

// deliver makes one attempt (two at once with the duplicate fault) and
// records it. Scheduled attempts advance the retry schedule; manual ones
// ("deliver now") are recorded but do not use up an attempt.
func (s *Sandbox) deliver(ctx context.Context, n *Notification, manual bool) (*Attempt, error) {
	start := s.now()
	// notify_verify counts its TTL from the latest attempt, which the
	// merchant checks while this request is still in flight.
	if err := s.db.WithContext(ctx).Model(n).Update("last_attempt_at", start).Error; err != nil {
		return nil, err
	}
	copies := 1
	if s.Faults().DuplicateNotify {
		copies = 2
	}
	attempts := make([]*Attempt, copies)
	var wg sync.WaitGroup
	for i := range attempts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			attempts[i] = s.post(ctx, n)
		}(i)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err() // shutting down: the attempt is made again on restart
	}
	a := attempts[0]
	sent := start // the retry gaps run from when the POST went out
	for _, x := range attempts {
		x.Manual = manual
		if !manual {
			x.ScheduledAt = n.NextAt
		}
		if x.Success {
			a = x
		}
		if x.At.After(sent) {
			sent = x.At
		}
	}
	err := s.db.Transaction(func(tx *gorm.DB) error {
		for _, x := range attempts {
			x.NotificationID = n.ID
			if err := tx.Create(x).Error; err != nil {
				return err
			}
		}
		return tx.Model(&Notification{}).Where("id = ?", n.ID).Updates(s.afterAttempt(n, a.Success, manual, sent)).Error
	})
	return a, err
}

// afterAttempt computes the notification's next state after an attempt
// sent at at. A scheduled attempt counts, the successful one included; a
// manual one does not.
func (s *Sandbox) afterAttempt(n *Notification, ok, manual bool, at time.Time) map[string]any {
	scheduled := !manual && n.State == statePending
	u := map[string]any{}
	if scheduled {
		u["attempts"] = n.Attempts + 1
	}
	switch {
	case ok:
		u["state"], u["delivered_at"], u["next_at"] = stateDelivered, at, nil
	case !scheduled:
	case n.Attempts+1 >= MaxAttempts:
		u["state"], u["next_at"] = stateGaveUp, nil
	default:
		u["next_at"] = at.Add(s.scaled(retryGaps[n.Attempts]))
	}
	return u
}

// post sends the notification once. Success is HTTP 200 with the body
// "success" (surrounding whitespace tolerated, as Alipay does).
func (s *Sandbox) post(ctx context.Context, n *Notification) *Attempt {
	a := &Attempt{}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, strings.NewReader(n.Body))
	if err != nil {
		a.At, a.Error = s.now(), err.Error()
		return a
	}
	req.Header.Set("Content-Type", n.ContentType)
	req.Header.Set("User-Agent", "Mozilla/4.0 (Alipay sandbox notifier)")
	// The latency is read on the sandbox's clock too: a test that injects
	// one decides how long the merchant takes to answer. Config.Now's own
	// reading keeps the monotonic clock that UTC() would strip.
	start := s.cfg.Now()
	a.At = start.UTC()
	resp, err := s.http.Do(req)
	a.LatencyMS = s.cfg.Now().Sub(start).Milliseconds()
	if err != nil {
		a.Error = err.Error()
		return a
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	a.StatusCode = resp.StatusCode
	a.Body = string(body)
	if len(a.Body) > 200 {
		// Cut at 200 bytes without leaving half a character behind.
		a.Body = strings.ToValidUTF8(a.Body[:200], "")
	}
	a.Success = resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "success"
	return a
}

// DeliverNow sends a notification at once, whatever its state: the console's
// "deliver now" and POST /api/notifications/{notify_id}/deliver.
func (s *Sandbox) DeliverNow(ctx context.Context, notifyID string) (*Attempt, error) {
	var n Notification
	if err := s.db.WithContext(ctx).Where("notify_id = ?", notifyID).First(&n).Error; err != nil {
		return nil, err
	}
	return s.deliver(ctx, &n, true)
}

// notifyVerify answers notify_verify: "true" only for a notify_id issued to
// that partner whose latest delivery attempt is within the TTL and that
// the merchant has not yet answered "success": once it has, the id is
// spent, and a replay of the same notification (or a delivery sent again
// by hand) no longer verifies. A merchant asks while handling the
// delivery, before answering, and is told true.
func (s *Sandbox) notifyVerify(w http.ResponseWriter, p payment.Params) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if p["partner"] == "" || p["notify_id"] == "" {
		_, _ = io.WriteString(w, "invalid")
		return
	}
	var n Notification
	err := s.db.Where("notify_id = ? AND partner = ?", p["notify_id"], p["partner"]).First(&n).Error
	ok := err == nil && n.LastAttemptAt != nil && n.DeliveredAt == nil &&
		(s.cfg.NotifyIDTTL < 0 || s.now().Sub(*n.LastAttemptAt) <= s.cfg.NotifyIDTTL)
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		s.log.Error("sandbox: notify_verify", "err", err)
	}
	if ok {
		_, _ = io.WriteString(w, "true")
	} else {
		_, _ = io.WriteString(w, "false")
	}
}
