package payment

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// ParseTradeParams reads the parameters of a create_forex_trade_wap or
// create_forex_trade request, as the gateway receives them, into a
// TradeRequest and applies exactly the validation the builder applies, so a
// gateway (the sandbox) refuses what this package would never sign. It does
// not check the signature or partner. Parameters the services do not know
// are ignored, as Alipay ignores them. Errors are *ValidationError with
// Alipay's error code.
func ParseTradeParams(p Params) (*TradeRequest, error) {
	svc := Service(p["service"])
	if svc != ServiceWAP && svc != ServicePC {
		return nil, invalid("service", "%q is not a payment service", p["service"])
	}
	r := &TradeRequest{
		Service: svc, OutTradeNo: p["out_trade_no"], Subject: p["subject"], Body: p["body"],
		Currency: Currency(p["currency"]), NotifyURL: p["notify_url"], ReturnURL: p["return_url"],
		ReferURL: p["refer_url"], Supplier: p["supplier"], TimeoutRule: p["timeout_rule"],
		ProductCode: p["product_code"], PaymentInst: p["payment_inst"], QRPayMode: p["qr_pay_mode"],
	}
	if err := parseFees(p, r.Currency, "total_fee", "rmb_fee", &r.TotalFee, &r.RMBFee); err != nil {
		return nil, err
	}
	switch p["app_pay"] {
	case "":
	case "Y":
		r.AppPay = true
	default:
		return nil, invalid("app_pay", "must be Y when present")
	}
	var err error
	if r.TradeInformation, err = parseTradeInformation(p["trade_information"]); err != nil {
		return nil, err
	}
	if r.SplitFundInfo, err = parseSplits(p["split_fund_info"], r.Currency); err != nil {
		return nil, err
	}
	r.SecondaryMerchant = parseSecondary(p)
	if s := p["order_gmt_create"]; s != "" {
		if r.OrderGMTCreate, err = parseWireTime(s); err != nil {
			return nil, invalid("order_gmt_create", "must be yyyy-MM-dd HH:mm:ss")
		}
	}
	if s := p["order_valid_time"]; s != "" {
		// Range before converting: a huge number would overflow the
		// Duration into a small or negative one.
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || !isDigits(s) || n < 1 || n > maxOrderValidTime {
			return nil, invalid("order_valid_time", "must be whole seconds from 1 to %d", maxOrderValidTime)
		}
		r.OrderValidTime = time.Duration(n) * time.Second
	}
	if s := p["qrcode_width"]; s != "" {
		if r.QRCodeWidth, err = strconv.Atoi(s); err != nil || !isDigits(s) {
			return nil, invalid("qrcode_width", "must be a number")
		}
	}
	if _, err := r.params(); err != nil {
		return nil, err
	}
	return r, nil
}

// ParseAppParams reads the pairs of a mobile.securitypay.pay order string
// into an AppPayRequest, checks the fixed fields (service, payment_type=1,
// forex_biz=FP, seller_id equal to partner, UTF-8) and refuses keys the
// service does not define, then applies the builder's validation.
func ParseAppParams(p Params) (*AppPayRequest, error) {
	if keys := (&OrderString{Pairs: p.sortedPairs()}).UnknownAppKeys(); len(keys) > 0 {
		return nil, invalid(keys[0], "is not a parameter of %s", ServiceApp)
	}
	fixed := map[string]string{"service": string(ServiceApp), "payment_type": "1", "forex_biz": "FP"}
	for k, want := range fixed {
		if p[k] != want {
			return nil, invalid(k, "must be %q", want)
		}
	}
	if !strings.EqualFold(p["_input_charset"], "utf-8") {
		return nil, invalid("_input_charset", "must be UTF-8 for %s", ServiceApp)
	}
	if err := checkPartner("partner", p["partner"]); err != nil {
		return nil, err
	}
	if p["seller_id"] != p["partner"] {
		return nil, invalid("seller_id", "must equal partner")
	}
	r := &AppPayRequest{
		OutTradeNo: p["out_trade_no"], Subject: p["subject"], Body: p["body"], Currency: Currency(p["currency"]),
		NotifyURL: p["notify_url"], ReturnURL: p["return_url"], ShowURL: p["show_url"], ReferURL: p["refer_url"],
		ItBPay: p["it_b_pay"], Appenv: p["appenv"], ExternToken: p["extern_token"], ProductCode: p["product_code"],
		PaymentInst: p["payment_inst"], SecondaryMerchant: parseSecondary(p),
	}
	// it_b_pay is either relative ("30m") or an absolute Beijing time.
	if t, err := parseWireTime(r.ItBPay); err == nil {
		r.ItBPay, r.ItBPayDeadline = "", t
	}
	if err := parseFees(p, r.Currency, "total_fee", "rmb_fee", &r.TotalFee, &r.RMBFee); err != nil {
		return nil, err
	}
	var err error
	if r.TradeInformation, err = parseTradeInformation(p["trade_information"]); err != nil {
		return nil, err
	}
	if r.SplitFundInfo, err = parseSplits(p["split_fund_info"], r.Currency); err != nil {
		return nil, err
	}
	if _, err := r.params(p["partner"]); err != nil {
		return nil, err
	}
	return r, nil
}

// parseFees parses the mutually exclusive settlement and CNY amounts.
func parseFees(p Params, c Currency, totalKey, rmbKey string, total, rmb *int64) error {
	if err := checkCurrency("currency", c); err != nil {
		return err
	}
	var err error
	if s := p[totalKey]; s != "" {
		if *total, err = ParseAmount(s, c); err != nil {
			return invalid(totalKey, "%v", err)
		}
	}
	if s := p[rmbKey]; s != "" {
		if *rmb, err = ParseAmount(s, CNY); err != nil {
			return invalid(rmbKey, "%v", err)
		}
	}
	return nil
}

func parseTradeInformation(s string) (*TradeInformation, error) {
	if s == "" {
		return nil, nil
	}
	var ti TradeInformation
	dec := json.NewDecoder(strings.NewReader(strings.ReplaceAll(s, "'", `"`)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ti); err != nil {
		return nil, invalid("trade_information", "is not the documented JSON object: %v", err)
	}
	return &ti, nil
}

func parseSplits(s string, c Currency) ([]SplitFund, error) {
	if s == "" {
		return nil, nil
	}
	var raw []struct {
		TransIn  string `json:"transIn"`
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
		Desc     string `json:"desc"`
	}
	if err := json.Unmarshal([]byte(strings.ReplaceAll(s, "'", `"`)), &raw); err != nil {
		return nil, invalid("split_fund_info", "is not a JSON array of splits: %v", err)
	}
	out := make([]SplitFund, 0, len(raw))
	for _, e := range raw {
		if Currency(e.Currency) != c {
			return nil, invalid("split_fund_info", "split currency %q differs from the order's %s", e.Currency, c)
		}
		amt, err := ParseAmount(e.Amount, c)
		if err != nil {
			return nil, invalid("split_fund_info", "amount: %v", err)
		}
		out = append(out, SplitFund{TransIn: e.TransIn, Amount: amt, Desc: e.Desc})
	}
	return out, nil
}

func parseSecondary(p Params) *SecondaryMerchant {
	id, name, ind := p["secondary_merchant_id"], p["secondary_merchant_name"], p["secondary_merchant_industry"]
	if id == "" && name == "" && ind == "" {
		return nil
	}
	return &SecondaryMerchant{ID: id, Name: name, Industry: ind}
}
