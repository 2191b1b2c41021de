package payment

import (
	"strconv"
	"time"
)

// Service is the name of a gateway service, the service parameter.
type Service string

// The services of the cross-border mapi gateway this package speaks.
const (
	ServiceWAP          Service = "create_forex_trade_wap" // mobile web (H5) cashier
	ServicePC           Service = "create_forex_trade"     // desktop web cashier
	ServiceApp          Service = "mobile.securitypay.pay" // native app, via the Alipay SDK
	ServiceQuery        Service = "single_trade_query"
	ServiceRefund       Service = "forex_refund"
	ServiceNotifyVerify Service = "notify_verify"
	ServiceRateFile     Service = "forex_rate_file"

	ServiceRefundQuery     Service = "alipay.acquire.refund.query" // state of one refund
	ServiceCompareFile     Service = "forex_compare_file"          // reconciliation file
	ServiceLiquidationFile Service = "forex_liquidation_file"      // settlement file
)

// Product codes Alipay fixes per channel.
const (
	ProductWAP = "NEW_WAP_OVERSEAS_SELLER" // H5 and app payments
	ProductPC  = "NEW_OVERSEAS_SELLER"     // desktop payments
)

func (s Service) productCode() string {
	if s == ServicePC {
		return ProductPC
	}
	return ProductWAP
}

// TradeRequest is a create_forex_trade_wap (H5) or create_forex_trade (PC)
// payment. Build it, then turn it into a URL or form with Client.PayURL or
// Client.PayForm; it is validated before anything is signed.
type TradeRequest struct {
	Service    Service // ServiceWAP (default) or ServicePC
	OutTradeNo string  // merchant order id, unique per partner, at most 64
	Subject    string  // title shown to the buyer, at most 256 characters
	Body       string  // description, at most 400 characters

	// Currency is the settlement currency. Set exactly one of TotalFee
	// (minor units of Currency) and RMBFee (minor units of CNY, fen).
	Currency Currency
	TotalFee int64
	RMBFee   int64

	NotifyURL string // where Alipay posts the result; no query string
	ReturnURL string // where the buyer's browser goes after paying
	ReferURL  string // the merchant's site, for risk review
	Supplier  string // merchant name shown on the cashier

	TimeoutRule string // "30m", "1h", ... (see TimeoutRules); empty means 12h
	ProductCode string // defaults to the service's fixed code

	TradeInformation  *TradeInformation
	SplitFundInfo     []SplitFund
	SecondaryMerchant *SecondaryMerchant

	AppPay      bool   // H5 only: try to open the Alipay app (app_pay=Y)
	PaymentInst string // "ALIPAYCN" or "ALIPAYHK" (Hong Kong variant)

	// OrderGMTCreate (order_gmt_create, when the merchant created the
	// order, sent in Beijing time to the second) and OrderValidTime
	// (order_valid_time, whole seconds from 1 to 2592000) give the trade an
	// absolute deadline: see Deadline. TimeoutRule alone is not one, as
	// Alipay counts it from when the buyer first opens the cashier, so a pay
	// URL never opened would stay payable for ever.
	//
	// Alipay's create_forex_trade page documents both; its
	// create_forex_trade_wap page does not list them, but its Java SDK
	// builds both services from one parameter set, so this package sends
	// them for WAP too. That is an inference: confirm with Alipay during
	// onboarding that your WAP contract honours them.
	OrderGMTCreate time.Time
	OrderValidTime time.Duration

	// PC only.
	QRPayMode   string // "0".."4": embed the cashier as a QR code
	QRCodeWidth int    // with QRPayMode "4"
}

var beijing = time.FixedZone("CST", 8*3600)

// Beijing is the time zone (UTC+8, no daylight saving) of every timestamp
// Alipay sends or expects.
func Beijing() *time.Location { return beijing }

// params validates r and returns its unsigned parameters (without partner,
// service and charset, which the client adds).
func (r *TradeRequest) params() (Params, error) {
	svc := r.Service
	if svc == "" {
		svc = ServiceWAP
	}
	if svc != ServiceWAP && svc != ServicePC {
		return nil, invalid("service", "a TradeRequest is %s or %s, not %q", ServiceWAP, ServicePC, svc)
	}
	p := Params{"service": string(svc)}
	o := order{outTradeNo: r.OutTradeNo, subject: r.Subject, body: r.Body, bodyMax: 400,
		currency: r.Currency, totalFee: r.TotalFee, rmbFee: r.RMBFee,
		urls: [][2]string{{"notify_url", r.NotifyURL}, {"return_url", r.ReturnURL}, {"refer_url", r.ReferURL}}}
	if err := o.addTo(p); err != nil {
		return nil, err
	}
	if err := checkText("supplier", r.Supplier, 256, false); err != nil {
		return nil, err
	}
	if err := checkTimeoutRule(svc, r.TimeoutRule); err != nil {
		return nil, err
	}
	pc := r.ProductCode
	if pc == "" {
		pc = svc.productCode()
	}
	if err := checkProductCode(svc, pc); err != nil {
		return nil, err
	}
	if err := checkOneOf("payment_inst", r.PaymentInst, "ALIPAYCN", "ALIPAYHK"); err != nil {
		return nil, err
	}
	if r.AppPay {
		if svc != ServiceWAP {
			return nil, invalid("app_pay", "is for %s only", ServiceWAP)
		}
		p["app_pay"] = "Y"
	}
	if r.TradeInformation != nil {
		if err := r.TradeInformation.validate(); err != nil {
			return nil, err
		}
		p["trade_information"] = r.TradeInformation.encode(`"`)
	}
	split, err := encodeSplits(r.SplitFundInfo, r.Currency, r.TotalFee)
	if err != nil {
		return nil, err
	}
	if err := r.SecondaryMerchant.addTo(p); err != nil {
		return nil, err
	}
	if err := r.deadlineParams(p); err != nil {
		return nil, err
	}
	if err := r.qrParams(svc, p); err != nil {
		return nil, err
	}
	p["supplier"], p["timeout_rule"], p["product_code"] = r.Supplier, r.TimeoutRule, pc
	p["payment_inst"], p["split_fund_info"] = r.PaymentInst, split
	return dropEmpty(p), nil
}

// qrParams adds the desktop cashier's QR code options, which only
// create_forex_trade has.
func (r *TradeRequest) qrParams(svc Service, p Params) error {
	if svc != ServicePC {
		if r.QRPayMode != "" || r.QRCodeWidth != 0 {
			return invalid("qr_pay_mode", "qr_pay_mode and qrcode_width are for %s only", ServicePC)
		}
		return nil
	}
	if err := checkOneOf("qr_pay_mode", r.QRPayMode, "0", "1", "2", "3", "4"); err != nil {
		return err
	}
	p["qr_pay_mode"] = r.QRPayMode
	if r.QRPayMode == "4" {
		if r.QRCodeWidth < 1 {
			return invalid("qrcode_width", "is required with qr_pay_mode 4")
		}
		p["qrcode_width"] = strconv.Itoa(r.QRCodeWidth)
	} else if r.QRCodeWidth != 0 {
		return invalid("qrcode_width", "goes with qr_pay_mode 4 only")
	}
	return nil
}
