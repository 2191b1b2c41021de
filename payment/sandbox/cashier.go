package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
	"gorm.io/gorm"

	"shop/payment"
)

// cashier renders the buyer's payment page. Opening it is the buyer
// "logging in": from then on the trade exists for single_trade_query.
func (s *Sandbox) cashier(w http.ResponseWriter, r *http.Request) {
	t, ok := s.tradeByToken(w, r)
	if !ok {
		return
	}
	t, err := s.closeIfExpired(r.Context(), t)
	if err != nil {
		s.internalError(w, err)
		return
	}
	if t.Status == string(payment.TradeClosed) {
		s.errorPage(w, http.StatusGone, closedFailure())
		return
	}
	if !t.Opened {
		ot, err := s.markOpened(r.Context(), t.ID)
		if err != nil {
			s.internalError(w, err)
			return
		}
		t = ot
	}
	data := cashierPage{Trade: t, Prefix: s.cfg.Prefix, Amount: s.amountText(t)}
	if t.Service == string(payment.ServicePC) {
		data.QR = s.qrDataURI(s.cfg.PublicURL + s.path("/cashier/"+t.Token))
	}
	s.render(w, http.StatusOK, "cashier", data)
}

// cashierPage is the data of the cashier template.
type cashierPage struct {
	Trade  *Trade
	Prefix string
	Amount amountText
	QR     template.URL // data: URI of the QR code of the mobile cashier URL, desktop only
	Failed bool
}

type amountText struct {
	Settlement string // "USD 12.50"
	CNY        string // "CNY 89.04", empty when no rate is known
}

// amountText shows the price in the settlement currency and its CNY
// equivalent at the sandbox rate, as the real cashier does.
func (s *Sandbox) amountText(t *Trade) amountText {
	if t.TotalMinor == 0 {
		return amountText{CNY: "CNY " + payment.Amount{Minor: t.RMBMinor, Currency: payment.CNY}.String()}
	}
	a := payment.Amount{Minor: t.TotalMinor, Currency: payment.Currency(t.Currency)}
	out := amountText{Settlement: t.Currency + " " + a.String()}
	if rate, ok := s.rates[a.Currency]; ok {
		if fen, err := (payment.Rate{Currency: a.Currency, Rate: rate}).ToCNY(a); err == nil {
			out.CNY = "CNY " + payment.Amount{Minor: fen, Currency: payment.CNY}.String()
		}
	}
	return out
}

// qrDataURI returns a PNG QR code of u as a data: URI. It is typed as a
// trusted URL: html/template would otherwise replace a data: URI in src
// with #ZgotmplZ.
func (s *Sandbox) qrDataURI(u string) template.URL {
	png, err := qrcode.Encode(u, qrcode.Medium, 200)
	if err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}

// cashierAction handles the cashier's buttons: pay, cancel, fail, expire.
func (s *Sandbox) cashierAction(w http.ResponseWriter, r *http.Request) {
	t, ok := s.tradeByToken(w, r)
	if !ok {
		return
	}
	switch r.PathValue("action") {
	case "pay":
		paid, err := s.pay(r.Context(), t.ID)
		if errors.Is(err, errNotPayable) {
			s.errorPage(w, http.StatusConflict, closedFailure())
			return
		} else if err != nil {
			s.internalError(w, err)
			return
		}
		s.backToMerchant(w, r, paid, true)
	case "cancel":
		s.backToMerchant(w, r, t, false)
	case "fail":
		s.render(w, http.StatusOK, "cashier", cashierPage{Trade: t, Prefix: s.cfg.Prefix, Amount: s.amountText(t), Failed: true})
	case "expire":
		ct, err := s.closeTrade(r.Context(), t.ID)
		if err != nil {
			s.errorPage(w, http.StatusConflict, fail("TRADE_HAS_SUCCESS", err.Error()))
			return
		}
		s.backToMerchant(w, r, ct, false)
	default:
		http.NotFound(w, r)
	}
}

// backToMerchant sends the browser back: after paying to return_url with the
// signed result; after cancelling to the merchant's page without one.
func (s *Sandbox) backToMerchant(w http.ResponseWriter, r *http.Request, t *Trade, paid bool) {
	target := t.ReferURL
	if paid || target == "" {
		target = t.ReturnURL
	}
	if paid {
		u, err := s.returnURL(t)
		if err != nil {
			s.internalError(w, err)
			return
		}
		target = u
	}
	if target == "" {
		s.render(w, http.StatusOK, "done", cashierPage{Trade: t, Prefix: s.cfg.Prefix, Amount: s.amountText(t)})
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *Sandbox) tradeByToken(w http.ResponseWriter, r *http.Request) (*Trade, bool) {
	var t Trade
	err := s.db.WithContext(r.Context()).Where("token = ?", r.PathValue("token")).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		s.errorPage(w, http.StatusNotFound, fail("TRADE_NOT_EXIST", "No such cashier session."))
		return nil, false
	} else if err != nil {
		s.internalError(w, err)
		return nil, false
	}
	return &t, true
}

// appResult is the answer of the Alipay app SDK to the merchant app.
type appResult struct {
	ResultStatus string `json:"resultStatus"`
	Result       string `json:"result"`
	Memo         string `json:"memo"`
}

// appPay stands in for the Alipay SDK: it takes the order string the
// merchant's server signed (raw body, or the form field order_string),
// verifies it, creates the trade and answers like PayTask.pay.
func (s *Sandbox) appPay(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		s.writeAppResult(w, appResult{ResultStatus: "4000", Memo: "could not read the order string"})
		return
	}
	orderString := strings.TrimSpace(string(body))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		p, err := payment.ParseQuery(body, "utf-8")
		if err != nil {
			s.writeAppResult(w, appResult{ResultStatus: "4000", Memo: "ALIN38173: " + err.Error()})
			return
		}
		orderString = p["order_string"]
	}
	res, err := s.payApp(r, orderString)
	if err != nil {
		var ge *gatewayError
		if !errors.As(err, &ge) {
			s.log.Error("sandbox: app pay", "err", err)
			ge = fail("SYSTEM_ERROR", "internal error")
		}
		res = appResult{ResultStatus: "4000", Memo: ge.Code + ": " + ge.Detail}
	}
	s.writeAppResult(w, res)
}

func (s *Sandbox) writeAppResult(w http.ResponseWriter, res appResult) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}
