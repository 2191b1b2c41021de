package payment

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

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

func dropEmpty(p Params) Params {
	for k, v := range p {
		if v == "" {
			delete(p, k)
		}
	}
	return p
}
