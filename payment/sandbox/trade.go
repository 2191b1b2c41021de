package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"time"

	"gorm.io/gorm"

	"shop/payment"
)

// createTrade handles create_forex_trade_wap and create_forex_trade: it
// validates every parameter, creates the trade (or finds the identical one
// already created) and sends the browser to the cashier.
func (s *Sandbox) createTrade(w http.ResponseWriter, r *http.Request, req *request) {
	tr, err := payment.ParseTradeParams(req.params)
	if err != nil {
		s.gatewayFail(w, r, req.service, validationFailure(err))
		return
	}
	now := s.now()
	expires, err := s.tradeExpiry(tr, now)
	if err != nil {
		s.gatewayFail(w, r, req.service, err)
		return
	}
	t := &Trade{
		Partner: req.merchant.Partner, OutTradeNo: tr.OutTradeNo, Service: string(tr.Service),
		RequestHash: requestHash(req.params), Subject: tr.Subject, Body: tr.Body, Supplier: tr.Supplier,
		Currency: string(tr.Currency), TotalMinor: tr.TotalFee, RMBMinor: tr.RMBFee,
		NotifyURL: tr.NotifyURL, ReturnURL: tr.ReturnURL, ReferURL: tr.ReferURL,
		SignType: string(req.signType), Charset: req.charset, ExpiresAt: expires,
		CreatedAt: now, // gmt_create follows the sandbox clock, as gmt_payment does
	}
	t, err = s.openTrade(r.Context(), t)
	if err != nil {
		s.gatewayFail(w, r, req.service, err)
		return
	}
	s.poke() // Run sleeps until the next deadline, which may now be this trade's
	http.Redirect(w, r, s.path("/cashier/"+t.Token), http.StatusSeeOther)
}

func validationFailure(err error) error {
	var ve *payment.ValidationError
	if errors.As(err, &ve) {
		return fail(ve.Code, ve.Error())
	}
	return fail("ILLEGAL_ARGUMENT", err.Error())
}

// requestHash identifies the parameters of a payment request, so that the
// same out_trade_no sent again with other parameters can be refused.
func requestHash(p payment.Params) string {
	sum := sha256.Sum256([]byte(p.PreSign()))
	return hex.EncodeToString(sum[:])
}

// openTrade inserts t, or returns the unpaid trade already created with the
// same out_trade_no and the same parameters. Reusing the id with other
// parameters is ALIN42282; a paid or closed trade cannot be paid again, nor
// one past its expiry: a request whose deadline has passed creates nothing.
func (s *Sandbox) openTrade(ctx context.Context, t *Trade) (*Trade, error) {
	for try := 0; try < 2; try++ {
		var existing Trade
		err := s.db.WithContext(ctx).Where("partner = ? AND out_trade_no = ?", t.Partner, t.OutTradeNo).First(&existing).Error
		switch {
		case err == nil:
			return s.reuse(ctx, &existing, t)
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return nil, err
		}
		if !t.CreatedAt.Before(t.ExpiresAt) {
			return nil, closedFailure()
		}
		t.Token = randomToken()
		t.Status = string(payment.WaitBuyerPay)
		if err := s.db.WithContext(ctx).Create(t).Error; err == nil {
			return t, nil
		} else if !errors.Is(err, gorm.ErrDuplicatedKey) && !strings.Contains(err.Error(), "UNIQUE") {
			return nil, err
		}
		// Another request created it meanwhile: look again.
	}
	return nil, fail("SYSTEM_ERROR", "could not create the trade")
}

func (s *Sandbox) reuse(ctx context.Context, existing, t *Trade) (*Trade, error) {
	switch {
	case existing.RequestHash != t.RequestHash:
		return nil, fail("ALIN42282", "out_trade_no "+t.OutTradeNo+" was already submitted with different parameters")
	case payment.TradeStatus(existing.Status).Paid():
		return nil, fail("TRADE_HAS_SUCCESS", "this order has already been paid")
	}
	existing, err := s.closeIfExpired(ctx, existing)
	if err != nil {
		return nil, err
	}
	if existing.Status == string(payment.TradeClosed) {
		return nil, closedFailure()
	}
	return existing, nil
}

// errNotPayable is returned when a trade is no longer waiting for payment:
// closed, or past its expiry (which closes it).
var errNotPayable = errors.New("sandbox: trade is closed")

// pay marks t paid, as the buyer confirming in the cashier, and queues its
// notification in the same transaction. Paying a paid trade changes nothing.
func (s *Sandbox) pay(ctx context.Context, id uint) (*Trade, error) {
	f := s.Faults()
	now := s.now()
	var t Trade
	expired := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&t, id).Error; err != nil {
			return err
		}
		if payment.TradeStatus(t.Status).Paid() {
			return nil
		}
		if t.Status != string(payment.WaitBuyerPay) {
			return errNotPayable
		}
		if !now.Before(t.ExpiresAt) {
			// Close it, committed, as the sweeper would have: the
			// refusal is then errNotPayable, after the transaction.
			expired = true
			return tx.Model(&Trade{}).Where("id = ? AND status = ?", id, payment.WaitBuyerPay).Updates(expiredUpdates()).Error
		}
		// A buyer who opened the cashier already has the trade_no Alipay
		// created at login; one paid through the control API gets it now.
		tradeNo := gorm.Expr("COALESCE(trade_no, ?)", newTradeNo(now))
		res := tx.Model(&Trade{}).Where("id = ? AND status = ?", id, payment.WaitBuyerPay).Updates(map[string]any{
			"status": string(f.PaidStatus), "trade_no": tradeNo, "paid_at": now, "opened": true,
			"buyer_id": "2088" + randomDigits(12), "buyer_email": "sandbox-buyer***@example.com",
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errNotPayable
		}
		if err := tx.First(&t, id).Error; err != nil {
			return err
		}
		return s.queuePaidNotifications(tx, &t, f, now)
	})
	if err != nil {
		return nil, err
	}
	if expired {
		return nil, errNotPayable
	}
	s.poke()
	return &t, nil
}

// queuePaidNotifications queues the notification of a payment; with the
// out-of-order fault, a TRADE_SUCCESS and a TRADE_FINISHED, the later
// status first.
func (s *Sandbox) queuePaidNotifications(tx *gorm.DB, t *Trade, f Faults, now time.Time) error {
	if t.NotifyURL == "" {
		return nil
	}
	if !f.OutOfOrderNotify {
		return s.queueNotification(tx, t, payment.TradeStatus(t.Status), now, f.CorruptSign)
	}
	if err := s.queueNotification(tx, t, payment.TradeFinished, now, f.CorruptSign); err != nil {
		return err
	}
	return s.queueNotification(tx, t, payment.TradeSuccess, now.Add(s.scaled(time.Second)), f.CorruptSign)
}

// markOpened records that the buyer logged in to the cashier. That is when
// Alipay creates its trade, trade_no included, so from then on
// single_trade_query finds it (WAIT_BUYER_PAY, with its trade_no).
func (s *Sandbox) markOpened(ctx context.Context, id uint) (*Trade, error) {
	err := s.db.WithContext(ctx).Model(&Trade{}).Where("id = ? AND opened = ?", id, false).Updates(map[string]any{
		"opened": true, "trade_no": gorm.Expr("COALESCE(trade_no, ?)", newTradeNo(s.now())),
	}).Error
	if err != nil {
		return nil, err
	}
	var t Trade
	if err := s.db.WithContext(ctx).First(&t, id).Error; err != nil {
		return nil, err
	}
	return &t, nil
}

// closeTrade closes an unpaid trade, as its timeout would.
func (s *Sandbox) closeTrade(ctx context.Context, id uint) (*Trade, error) {
	now := s.now()
	res := s.db.WithContext(ctx).Model(&Trade{}).Where("id = ? AND status = ?", id, payment.WaitBuyerPay).
		Updates(map[string]any{"status": string(payment.TradeClosed), "closed_at": now})
	if res.Error != nil {
		return nil, res.Error
	}
	var t Trade
	if err := s.db.WithContext(ctx).First(&t, id).Error; err != nil {
		return nil, err
	}
	if res.RowsAffected == 0 && t.Status != string(payment.TradeClosed) {
		return &t, errors.New("sandbox: only an unpaid trade can be closed")
	}
	return &t, nil
}

// closeExpired closes every unpaid trade past its timeout and returns when
// the next one expires (zero if none is waiting).
func (s *Sandbox) closeExpired(ctx context.Context, now time.Time) (time.Time, error) {
	db := s.db.WithContext(ctx)
	err := db.Model(&Trade{}).
		Where("status = ? AND expires_at <= ?", payment.WaitBuyerPay, now).
		Updates(expiredUpdates()).Error
	if err != nil {
		return time.Time{}, err
	}
	var next []Trade
	if err := db.Select("expires_at").Where("status = ?", payment.WaitBuyerPay).Order("expires_at").Limit(1).Find(&next).Error; err != nil || len(next) == 0 {
		return time.Time{}, err
	}
	return next[0].ExpiresAt, nil
}

// newTradeNo makes an Alipay-like 28-digit trade number: date, 22001, random.
func newTradeNo(now time.Time) string {
	return now.In(payment.Beijing()).Format("20060102") + "22001" + randomDigits(15)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + d.Int64())
	}
	return string(b)
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
