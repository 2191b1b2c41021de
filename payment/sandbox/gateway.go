package sandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"shop/payment"
)

// gatewayError is an answer Alipay gives instead of doing the work.
type gatewayError struct {
	Code   string
	Detail string // for the person reading the error page or the logs
}

func (e *gatewayError) Error() string { return e.Code + ": " + e.Detail }

func fail(code, detail string) *gatewayError { return &gatewayError{Code: code, Detail: detail} }

// request is a gateway call after parsing and authentication.
type request struct {
	params   payment.Params
	service  payment.Service
	merchant Merchant
	signType payment.SignType
	charset  string
}

// redirectServices are called by the buyer's browser: errors are pages.
func isRedirectService(s payment.Service) bool {
	return s == payment.ServiceWAP || s == payment.ServicePC
}

// gateway is gateway.do: it merges the URL query and the form body, decodes
// them by _input_charset, authenticates and dispatches by service.
func (s *Sandbox) gateway(w http.ResponseWriter, r *http.Request) {
	p, rawService, err := s.readParams(r)
	if err != nil {
		// The service as sent, undecoded, still says whether a browser
		// (error page) or a server (XML) is asking.
		s.gatewayFail(w, r, rawService, err)
		return
	}
	svc := payment.Service(p["service"])
	if err := s.injectFault(r.Context(), w, string(svc)); err != nil {
		return
	}
	if svc == payment.ServiceNotifyVerify {
		s.notifyVerify(w, p)
		return
	}
	req, err := s.authenticate(p)
	if err != nil {
		s.gatewayFail(w, r, svc, err)
		return
	}
	switch svc {
	case payment.ServiceWAP, payment.ServicePC:
		s.createTrade(w, r, req)
	case payment.ServiceQuery:
		s.query(r.Context(), w, req)
	case payment.ServiceRefund:
		s.refund(r.Context(), w, req)
	case payment.ServiceRateFile:
		s.rateFile(w, req)
	case payment.ServiceRefundQuery:
		s.refundQuery(r.Context(), w, req)
	case payment.ServiceCompareFile, payment.ServiceLiquidationFile:
		s.file(r.Context(), w, req)
	case payment.ServiceApp:
		s.gatewayFail(w, r, svc, fail("ILLEGAL_SERVICE", "mobile.securitypay.pay is not called on the gateway: the app hands the order string to the Alipay SDK (here: POST "+s.path("/app/pay")+")"))
	default:
		s.gatewayFail(w, r, svc, fail("ILLEGAL_SERVICE", "unknown service"))
	}
}

const maxBody = 64 << 10

// readParams merges the query string and a form body (the body wins, as the
// docs tell merchants that POST to put _input_charset in the URL) and
// decodes both in the request's _input_charset. It also returns the service
// as found in the raw request, for answering when decoding fails.
func (s *Sandbox) readParams(r *http.Request) (payment.Params, payment.Service, error) {
	var body []byte
	if r.Method == http.MethodPost {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return nil, "", fail("ILLEGAL_ARGUMENT", "could not read the request body")
		}
		if len(body) > maxBody {
			return nil, "", fail("ILLEGAL_ARGUMENT", "request body too large")
		}
	} else if r.Method != http.MethodGet {
		return nil, "", fail("ILLEGAL_ARGUMENT", "use GET or POST")
	}
	// _input_charset says how to decode the other values, so it is read
	// from the raw bytes: a GBK request is not valid UTF-8.
	charset := rawParam(body, r.URL.RawQuery, "_input_charset")
	if charset == "" {
		charset = "utf-8"
	}
	rawService := payment.Service(rawParam(body, r.URL.RawQuery, "service"))
	query, err := payment.ParseQuery([]byte(r.URL.RawQuery), charset)
	if err != nil {
		return nil, rawService, charsetOrArgument(err)
	}
	form, err := payment.ParseQuery(body, charset)
	if err != nil {
		return nil, rawService, charsetOrArgument(err)
	}
	for k, v := range form {
		query[k] = v
	}
	if query["service"] == "" {
		return nil, rawService, fail("ILLEGAL_SERVICE", "the service parameter is missing")
	}
	return query, rawService, nil
}

// rawParam returns the percent-decoded value of an ASCII parameter from
// the form body or else the query string, without decoding the rest.
func rawParam(body []byte, rawQuery, key string) string {
	for _, raw := range []string{string(body), rawQuery} {
		for _, pair := range strings.Split(raw, "&") {
			k, v, _ := strings.Cut(pair, "=")
			if uk, err := url.QueryUnescape(k); err != nil || uk != key {
				continue
			}
			if uv, err := url.QueryUnescape(v); err == nil && uv != "" {
				return uv
			}
		}
	}
	return ""
}

func charsetOrArgument(err error) error {
	if errors.Is(err, payment.ErrCharset) {
		return fail("ILLEGAL_CHARSET", err.Error())
	}
	return fail("ILLEGAL_ARGUMENT", err.Error())
}

// authenticate checks partner, privilege, sign type and signature.
func (s *Sandbox) authenticate(p payment.Params) (*request, error) {
	svc := payment.Service(p["service"])
	switch svc {
	case payment.ServiceWAP, payment.ServicePC, payment.ServiceQuery, payment.ServiceRefund, payment.ServiceRateFile, payment.ServiceApp,
		payment.ServiceRefundQuery, payment.ServiceCompareFile, payment.ServiceLiquidationFile:
	default:
		return nil, fail("ILLEGAL_SERVICE", "unknown service "+string(svc))
	}
	m, ok := s.merchants[p["partner"]]
	if !ok {
		return nil, fail("ILLEGAL_PARTNER", "partner "+p["partner"]+" is not registered with the sandbox")
	}
	if !m.allows(svc) {
		return nil, fail("HAS_NO_PRIVILEGE", "partner is not contracted for "+string(svc))
	}
	charset := p.Charset()
	if svc == payment.ServiceWAP && !strings.EqualFold(charset, "utf-8") {
		return nil, fail("ILLEGAL_CHARSET", "create_forex_trade_wap accepts UTF-8 only")
	}
	st, err := payment.ParseSignType(p["sign_type"])
	if err != nil {
		return nil, fail("ILLEGAL_SIGN_TYPE", "sign_type must be MD5, RSA or RSA2 in capitals")
	}
	v, err := m.verifier(st)
	if err != nil {
		return nil, fail("ILLEGAL_SIGN_TYPE", err.Error())
	}
	if err := payment.Verify(v, p, charset); err != nil {
		return nil, fail("ILLEGAL_SIGN", "the signature does not match the parameters: "+err.Error())
	}
	return &request{params: p, service: svc, merchant: m, signType: st, charset: charset}, nil
}

func (m Merchant) allows(svc payment.Service) bool {
	if m.Services == nil {
		return true
	}
	for _, s := range m.Services {
		if s == svc {
			return true
		}
	}
	return false
}

// verifier returns the merchant's verifier for t, or an error if the
// merchant has no key for it.
func (m Merchant) verifier(t payment.SignType) (payment.Verifier, error) {
	if t == payment.MD5 {
		if m.MD5Key == "" {
			return nil, errors.New("the merchant has no MD5 key")
		}
		return payment.NewMD5Key(m.MD5Key)
	}
	if m.PublicKey == nil {
		return nil, errors.New("the merchant has not uploaded an RSA public key")
	}
	return payment.NewRSAVerifier(t, m.PublicKey)
}

// gatewayFail answers an error as Alipay does: a page for the buyer's
// browser on redirect services, XML for server calls.
func (s *Sandbox) gatewayFail(w http.ResponseWriter, r *http.Request, svc payment.Service, err error) {
	var ge *gatewayError
	if !errors.As(err, &ge) {
		s.log.Error("sandbox: gateway", "service", svc, "err", err)
		ge = fail("SYSTEM_ERROR", "internal error")
	}
	s.log.Info("sandbox: refused", "service", svc, "code", ge.Code, "detail", ge.Detail)
	if isRedirectService(svc) || svc == "" && r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
		s.errorPage(w, http.StatusBadRequest, ge)
		return
	}
	s.writeXML(w, xmlReply{Error: ge.Code})
}

// injectFault applies the delay and 5xx knobs of a service. It returns an
// error when it has answered the request itself.
func (s *Sandbox) injectFault(ctx context.Context, w http.ResponseWriter, service string) error {
	f := s.serviceFault(service)
	if f.DelayMS > 0 {
		t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if f.Fail5xx {
		http.Error(w, "sandbox: injected failure", http.StatusBadGateway)
		return errors.New("injected 5xx")
	}
	return nil
}
