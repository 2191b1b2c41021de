package payment

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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

	// PC only.
	OrderGMTCreate time.Time     // when the order was created (sent in Beijing time)
	OrderValidTime time.Duration // how long after OrderGMTCreate the order can be paid
	QRPayMode      string        // "0".."4": embed the cashier as a QR code
	QRCodeWidth    int           // with QRPayMode "4"
}

// TradeInformation is the trade_information JSON some industries must send.
type TradeInformation struct {
	BusinessType      string `json:"business_type"` // "1" hotel … "4" goods, "5" other
	GoodsInfo         string `json:"goods_info,omitempty"`
	TotalQuantity     string `json:"total_quantity,omitempty"`
	HotelName         string `json:"hotel_name,omitempty"`
	CheckInTime       string `json:"check_in_time,omitempty"`
	CheckOutTime      string `json:"check_out_time,omitempty"`
	FlightNumber      string `json:"flight_number,omitempty"`
	DepartureTime     string `json:"departure_time,omitempty"`
	AdmissionNotice   string `json:"admission_notice_url,omitempty"`
	OtherBusinessType string `json:"other_business_type,omitempty"`
}

// Goods is one line of a goods_info list.
type Goods struct {
	Name     string
	Quantity int
}

// GoodsTradeInformation returns trade_information for business type 4 (sales
// of goods): goods_info "name^qty|name^qty" and the total quantity. Names are
// cleaned of the ^ and | separators.
func GoodsTradeInformation(goods []Goods) *TradeInformation {
	parts := make([]string, 0, len(goods))
	total := 0
	for _, g := range goods {
		parts = append(parts, CleanText(g.Name, 64)+"^"+strconv.Itoa(g.Quantity))
		total += g.Quantity
	}
	return &TradeInformation{BusinessType: "4", GoodsInfo: strings.Join(parts, "|"), TotalQuantity: strconv.Itoa(total)}
}

func (ti *TradeInformation) validate() error {
	req := func(name, v string) error {
		if v == "" {
			return invalid("trade_information", "%s is required for business_type %s", name, ti.BusinessType)
		}
		return nil
	}
	switch ti.BusinessType {
	case "1":
		if err := req("hotel_name", ti.HotelName); err != nil {
			return err
		}
		for _, d := range []string{ti.CheckInTime, ti.CheckOutTime} {
			if _, err := time.Parse("2006-01-02", d); err != nil {
				return invalid("trade_information", "check_in_time and check_out_time must be yyyy-MM-dd")
			}
		}
	case "2":
		if err := req("flight_number", ti.FlightNumber); err != nil {
			return err
		}
		if _, err := time.Parse("2006-01-02 15:04", ti.DepartureTime); err != nil {
			return invalid("trade_information", "departure_time must be yyyy-MM-dd HH:mm")
		}
	case "3":
		if err := checkURL("trade_information", ti.AdmissionNotice); err != nil || ti.AdmissionNotice == "" {
			return invalid("trade_information", "admission_notice_url must be a URL")
		}
	case "4":
		if err := req("goods_info", ti.GoodsInfo); err != nil {
			return err
		}
		sum := 0
		for _, item := range strings.Split(ti.GoodsInfo, "|") {
			name, qty, ok := strings.Cut(item, "^")
			n, err := strconv.Atoi(qty)
			if !ok || name == "" || err != nil || n < 1 || strings.ContainsAny(name, `^"`) {
				return invalid("trade_information", "goods_info must be name^quantity|name^quantity")
			}
			sum += n
		}
		if ti.TotalQuantity != strconv.Itoa(sum) {
			return invalid("trade_information", "total_quantity %q does not match goods_info (%d)", ti.TotalQuantity, sum)
		}
	case "5":
		if err := req("other_business_type", ti.OtherBusinessType); err != nil {
			return err
		}
	default:
		return invalid("trade_information", "business_type must be 1 to 5")
	}
	return nil
}

// encode returns the JSON text; in the app order string, where values may
// not contain double quotes, quote replaces them (as Alipay's demos do).
func (ti *TradeInformation) encode(quote string) string {
	b, _ := json.Marshal(ti) // plain strings: cannot fail
	return strings.ReplaceAll(string(b), `"`, quote)
}

// SplitFund is one split_fund_info entry: part of the payment settled to
// another Alipay account.
type SplitFund struct {
	TransIn string // receiving PID
	Amount  int64  // minor units of the order currency
	Desc    string
}

func encodeSplits(splits []SplitFund, c Currency, total int64) (string, error) {
	if len(splits) == 0 {
		return "", nil
	}
	if len(splits) > 10 {
		return "", invalid("split_fund_info", "has %d entries; at most 10", len(splits))
	}
	var sum int64
	entries := make([]string, 0, len(splits))
	for _, s := range splits {
		if err := checkPartner("split_fund_info", s.TransIn); err != nil {
			return "", err
		}
		amt, err := FormatAmount(s.Amount, c)
		if err != nil {
			return "", invalid("split_fund_info", "%v", err)
		}
		if err := checkText("split_fund_info", s.Desc, 64, false); err != nil {
			return "", err
		}
		sum += s.Amount
		entries = append(entries, fmt.Sprintf("{'transIn':'%s','amount':'%s','currency':'%s','desc':'%s'}", s.TransIn, amt, c, strings.ReplaceAll(s.Desc, "'", "")))
	}
	if total > 0 && sum > total {
		return "", invalid("split_fund_info", "splits add up to more than the order amount")
	}
	out := "[" + strings.Join(entries, ",") + "]"
	if len(out) > 1600 {
		return "", invalid("split_fund_info", "is longer than 1600 characters")
	}
	return out, nil
}

// SecondaryMerchant identifies the sub-merchant of a payment service
// provider (acquirer model). All three fields go together.
type SecondaryMerchant struct {
	ID       string // letters, digits, underscore; at most 64
	Name     string // registered legal name
	Industry string // 4-digit MCC
}

func (m *SecondaryMerchant) addTo(p Params) error {
	if m == nil {
		return nil
	}
	if m.ID == "" || len(m.ID) > 64 || strings.Trim(m.ID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
		return invalid("secondary_merchant_id", "must be 1 to 64 letters, digits or underscores")
	}
	if err := checkText("secondary_merchant_name", m.Name, 128, true); err != nil {
		return err
	}
	if len(m.Industry) != 4 || !isDigits(m.Industry) {
		return invalid("secondary_merchant_industry", "must be a 4-digit MCC")
	}
	p["secondary_merchant_id"], p["secondary_merchant_name"], p["secondary_merchant_industry"] = m.ID, m.Name, m.Industry
	return nil
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
	if err := r.pcParams(svc, p); err != nil {
		return nil, err
	}
	p["supplier"], p["timeout_rule"], p["product_code"] = r.Supplier, r.TimeoutRule, pc
	p["payment_inst"], p["split_fund_info"] = r.PaymentInst, split
	return dropEmpty(p), nil
}

func (r *TradeRequest) pcParams(svc Service, p Params) error {
	pcOnly := !r.OrderGMTCreate.IsZero() || r.OrderValidTime != 0 || r.QRPayMode != "" || r.QRCodeWidth != 0
	if svc != ServicePC {
		if pcOnly {
			return invalid("order_gmt_create", "order_gmt_create, order_valid_time and qr_pay_mode are for %s only", ServicePC)
		}
		return nil
	}
	if r.OrderValidTime != 0 {
		secs := int64(r.OrderValidTime / time.Second)
		if r.OrderGMTCreate.IsZero() || secs < 1 || secs > 2592000 || r.OrderValidTime%time.Second != 0 {
			return invalid("order_valid_time", "needs order_gmt_create and whole seconds from 1 to 2592000")
		}
		p["order_valid_time"] = strconv.FormatInt(secs, 10)
	}
	if !r.OrderGMTCreate.IsZero() {
		p["order_gmt_create"] = r.OrderGMTCreate.In(beijing).Format("2006-01-02 15:04:05")
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

// order holds the parameters every payment service shares; addTo
// validates them in a fixed order and adds them to p.
type order struct {
	outTradeNo, subject, body string
	bodyMax                   int
	bodyRequired              bool
	currency                  Currency
	totalFee, rmbFee          int64
	urls                      [][2]string // name, value
}

func (o order) addTo(p Params) error {
	if err := checkTradeNo("out_trade_no", o.outTradeNo); err != nil {
		return err
	}
	if err := checkText("subject", o.subject, 256, true); err != nil {
		return err
	}
	if err := checkText("body", o.body, o.bodyMax, o.bodyRequired); err != nil {
		return err
	}
	if err := checkCurrency("currency", o.currency); err != nil {
		return err
	}
	total, rmb, err := checkFees(o.currency, o.totalFee, o.rmbFee, "total_fee", "rmb_fee")
	if err != nil {
		return err
	}
	for _, u := range o.urls {
		if err := checkURL(u[0], u[1]); err != nil {
			return err
		}
		p[u[0]] = u[1]
	}
	p["out_trade_no"], p["subject"], p["body"] = o.outTradeNo, o.subject, o.body
	p["currency"], p["total_fee"], p["rmb_fee"] = string(o.currency), total, rmb
	return nil
}

func dropEmpty(p Params) Params {
	for k, v := range p {
		if v == "" {
			delete(p, k)
		}
	}
	return p
}
