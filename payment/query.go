package payment

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrTradeMismatch is wrapped when a signed answer is about another trade or
// refund than the one asked for.
var ErrTradeMismatch = errors.New("payment: answer is about another trade")

// QueryRequest names the trade to look up with single_trade_query: Alipay's
// TradeNo, the merchant's OutTradeNo, or both. At least one is required;
// when both are set only TradeNo is sent (Alipay gives it precedence), and
// the answer must match both.
type QueryRequest struct {
	TradeNo    string
	OutTradeNo string
}

func (q QueryRequest) params() (Params, error) {
	p := Params{"service": string(ServiceQuery)}
	switch {
	case q.TradeNo != "":
		if err := checkTradeNo("trade_no", q.TradeNo); err != nil {
			return nil, err
		}
		if len(q.TradeNo) < 16 {
			return nil, invalid("trade_no", "is %d characters; Alipay's have 16 to 64", len(q.TradeNo))
		}
		p["trade_no"] = q.TradeNo
	case q.OutTradeNo != "":
		p["out_trade_no"] = q.OutTradeNo
	default:
		return nil, invalid("out_trade_no", "or trade_no is required")
	}
	if q.OutTradeNo != "" {
		if err := checkTradeNo("out_trade_no", q.OutTradeNo); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Trade is a trade as single_trade_query reports it, from a verified answer.
type Trade struct {
	TradeNo     string
	OutTradeNo  string
	TradeStatus TradeStatus
	// TotalFee is total_fee as sent: in the settlement currency if the
	// payment used total_fee, in CNY if it used rmb_fee. See AmountIn.
	TotalFee    string
	Subject     string
	BuyerID     string
	BuyerEmail  string
	SellerID    string
	SellerEmail string
	// Times are in Beijing time; zero when Alipay did not send them.
	GmtCreate       time.Time
	GmtPayment      time.Time
	GmtLastModified time.Time
	GmtClose        time.Time

	// Fields holds every leaf of <trade>, including those not above.
	Fields Params
}

// AmountIn parses TotalFee as an amount of c: the settlement currency for
// payments made with total_fee, CNY for those made with rmb_fee (Alipay does
// not say which in the answer).
func (t *Trade) AmountIn(c Currency) (Amount, error) {
	return ParseAmountOf(t.TotalFee, c)
}

// QueryTrade asks Alipay for the state of a trade. The answer must be signed
// with the configured sign type and be about the trade asked for (errors
// wrap ErrSignature, ErrSignType, ErrTradeMismatch or ErrPartner).
// TRADE_NOT_EXIST comes back as a *GatewayError matching ErrTradeNotExist;
// Alipay says so until the buyer has logged in to the cashier, so it does
// not mean the order can never be paid. Transport failures wrap ErrGateway.
func (c *Client) QueryTrade(ctx context.Context, q QueryRequest) (*Trade, error) {
	p, err := q.params()
	if err != nil {
		return nil, err
	}
	body, _, err := c.call(ctx, p, false)
	if err != nil {
		return nil, err
	}
	a, err := c.parseAnswer(ServiceQuery, body, false)
	if err != nil {
		return nil, err
	}
	if a.node != "trade" {
		return nil, fmt.Errorf("%w: %s: answer holds <%s>, want <trade>", ErrGateway, ServiceQuery, a.node)
	}
	t, err := newTrade(a.fields)
	if err != nil {
		return nil, err
	}
	if q.TradeNo != "" && t.TradeNo != q.TradeNo {
		return nil, fmt.Errorf("%w: asked for trade_no %s, got %s", ErrTradeMismatch, q.TradeNo, t.TradeNo)
	}
	if q.OutTradeNo != "" && t.OutTradeNo != q.OutTradeNo {
		return nil, fmt.Errorf("%w: asked for out_trade_no %s, got %s", ErrTradeMismatch, q.OutTradeNo, t.OutTradeNo)
	}
	// Alipay's RSA key signs for every merchant: a genuine answer about
	// someone else's trade must not pass.
	if t.SellerID != "" && t.SellerID != c.partner {
		return nil, fmt.Errorf("%w: seller_id %s", ErrPartner, t.SellerID)
	}
	return t, nil
}

func newTrade(f Params) (*Trade, error) {
	t := &Trade{
		TradeNo: f["trade_no"], OutTradeNo: f["out_trade_no"], TradeStatus: TradeStatus(f["trade_status"]),
		TotalFee: f["total_fee"], Subject: f["subject"], BuyerID: f["buyer_id"], BuyerEmail: f["buyer_email"],
		SellerID: f["seller_id"], SellerEmail: f["seller_email"], Fields: f,
	}
	for _, k := range []string{"trade_no", "out_trade_no", "trade_status"} {
		if f[k] == "" {
			return nil, fmt.Errorf("%w: %s: <trade> has no %s", ErrMalformed, ServiceQuery, k)
		}
	}
	times := []struct {
		key string
		dst *time.Time
	}{
		{"gmt_create", &t.GmtCreate}, {"gmt_payment", &t.GmtPayment},
		{"gmt_last_modified_time", &t.GmtLastModified}, {"gmt_close", &t.GmtClose},
	}
	for _, tm := range times {
		if f[tm.key] == "" {
			continue
		}
		v, err := ParseTime(f[tm.key])
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %s %q is not yyyy-MM-dd HH:mm:ss", ErrMalformed, ServiceQuery, tm.key, clip(f[tm.key]))
		}
		*tm.dst = v
	}
	return t, nil
}
