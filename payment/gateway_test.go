package payment

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gwAlipayKey is "Alipay's" key pair in these tests, made once per run.
var gwAlipayKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// gwSide holds the client configuration for a sign type and the keys of
// the other side of the wire.
type gwSide struct {
	cfg      Config   // without Gateway and HTTPClient
	alipay   Signer   // signs answers, as Alipay
	merchant Verifier // verifies requests, as Alipay
}

func gwSides(t testing.TB, st SignType) gwSide {
	t.Helper()
	if st == MD5 {
		return gwSide{
			cfg:    Config{Partner: sandboxPartner, SignType: MD5, MD5Key: sandboxMD5Key},
			alipay: sandboxMD5(t), merchant: sandboxMD5(t),
		}
	}
	b, err := os.ReadFile("testdata/merchant_private_key_pkcs8.b64")
	require.NoError(t, err)
	key, err := ParsePrivateKey(b)
	require.NoError(t, err)
	ak, err := gwAlipayKey()
	require.NoError(t, err)
	alipay, err := NewRSASigner(st, ak)
	require.NoError(t, err)
	merchant, err := NewRSAVerifier(st, &key.PublicKey)
	require.NoError(t, err)
	return gwSide{
		cfg:    Config{Partner: sandboxPartner, SignType: st, PrivateKey: key, AlipayPublicKey: &ak.PublicKey},
		alipay: alipay, merchant: merchant,
	}
}

// gwOffline returns a client for tests that never reach the network.
func gwOffline(t testing.TB, st SignType) (*Client, gwSide) {
	t.Helper()
	side := gwSides(t, st)
	cfg := side.cfg
	cfg.Gateway = "http://127.0.0.1:9/gateway.do"
	c, err := NewClient(cfg)
	require.NoError(t, err)
	return c, side
}

// gwSeen is a request as the fake gateway received it.
type gwSeen struct {
	Method, ContentType string
	Query, Form, Params Params // URL query, form body, and the two merged
	VerifyErr           error
}

// gwFixture is a Client wired to a fake gateway on loopback that parses and
// verifies every signed request the way Alipay does (URL query and form
// merged), records it and lets the test answer.
type gwFixture struct {
	gwSide
	client    *Client
	srv       *httptest.Server
	hits      atomic.Int32
	badSignOK bool // the test expects a request Alipay would refuse

	mu   sync.Mutex
	seen []gwSeen
}

type gwAnswer func(w http.ResponseWriter, r *http.Request, p Params)

func newGW(t *testing.T, st SignType, answer gwAnswer) *gwFixture {
	t.Helper()
	f := &gwFixture{gwSide: gwSides(t, st)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		s, ok := f.parse(t, r)
		if !ok {
			http.Error(w, "unreadable request", http.StatusBadRequest)
			return
		}
		if s.VerifyErr != nil {
			if !f.badSignOK {
				t.Errorf("fake gateway: request signature does not verify: %v", s.VerifyErr)
			}
			gwWrite(w, gwDoc{Success: "F", Error: "ILLEGAL_SIGN"}.bytes(t))
			return
		}
		answer(w, r, s.Params)
	}))
	t.Cleanup(f.srv.Close)
	cfg := f.cfg
	cfg.Gateway, cfg.HTTPClient = f.srv.URL+"/gateway.do", f.srv.Client()
	var err error
	f.client, err = NewClient(cfg)
	require.NoError(t, err)
	return f
}

func (f *gwFixture) parse(t *testing.T, r *http.Request) (gwSeen, bool) {
	s := gwSeen{Method: r.Method, ContentType: r.Header.Get("Content-Type")}
	if r.URL.Path != "/gateway.do" {
		t.Errorf("fake gateway: path %q", r.URL.Path)
		return s, false
	}
	var err error
	if s.Query, err = ParseQuery([]byte(r.URL.RawQuery), ""); err != nil {
		t.Errorf("fake gateway: query: %v", err)
		return s, false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("fake gateway: body: %v", err)
		return s, false
	}
	// A POST carries _input_charset in the URL, and its body in that charset.
	if s.Form, err = ParseQuery(body, s.Query["_input_charset"]); err != nil {
		t.Errorf("fake gateway: form: %v", err)
		return s, false
	}
	s.Params = s.Query.Clone()
	for k, v := range s.Form {
		if old, ok := s.Params[k]; ok && old != v {
			t.Errorf("fake gateway: %s is %q in the URL and %q in the body", k, old, v)
		}
		s.Params[k] = v
	}
	if s.Params["service"] != string(ServiceNotifyVerify) {
		s.VerifyErr = Verify(f.merchant, s.Params, "")
	}
	f.mu.Lock()
	f.seen = append(f.seen, s)
	f.mu.Unlock()
	return s, true
}

// last returns the last request received.
func (f *gwFixture) last(t *testing.T) gwSeen {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.seen, "the fake gateway received no request")
	return f.seen[len(f.seen)-1]
}

// gwDoc builds an XML answer as Alipay would send it.
type gwDoc struct {
	Encoding string   // declared and used; "" means utf-8
	Success  string   // "" means T
	Error    string   // <error>
	Node     string   // business node in <response>; "" for none
	Fields   []string // its leaves as key, value pairs, in document order
	Raw      string   // extra XML inside the business node, unsigned
	Signer   Signer   // nil: no <sign>
	SignIn   string   // charset hashed for the signature; "" means Encoding
	SignType string   // <sign_type>; "" means the signer's, "-" means none
	Sign     string   // literal <sign>, instead of signing
}

func (d gwDoc) bytes(t testing.TB) []byte {
	t.Helper()
	enc := d.Encoding
	if enc == "" {
		enc = "utf-8"
	}
	success := d.Success
	if success == "" {
		success = "T"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"%s\"?>\n<alipay>\n  <is_success>%s</is_success>\n", enc, success)
	if d.Error != "" {
		fmt.Fprintf(&b, "  <error>%s</error>\n", d.Error)
	}
	b.WriteString("  <request>\n    <param name=\"_input_charset\">utf-8</param>\n  </request>\n")
	signed := Params{}
	if d.Node != "" {
		fmt.Fprintf(&b, "  <response>\n    <%s>\n", d.Node)
		for i := 0; i+1 < len(d.Fields); i += 2 {
			fmt.Fprintf(&b, "      <%s>", d.Fields[i])
			require.NoError(t, xml.EscapeText(&b, []byte(d.Fields[i+1])))
			fmt.Fprintf(&b, "</%s>\n", d.Fields[i])
			signed[d.Fields[i]] = d.Fields[i+1]
		}
		fmt.Fprintf(&b, "%s    </%s>\n  </response>\n", d.Raw, d.Node)
	} else if d.Error != "" {
		signed["error"] = d.Error
	}
	sign := d.Sign
	if sign == "" && d.Signer != nil {
		in := d.SignIn
		if in == "" {
			in = enc
		}
		msg, err := EncodeCharset(signed.PreSign(), in)
		require.NoError(t, err)
		sign, err = d.Signer.Sign(msg)
		require.NoError(t, err)
	}
	if sign != "" {
		fmt.Fprintf(&b, "  <sign>%s</sign>\n", sign)
	}
	st := d.SignType
	if st == "" && d.Signer != nil {
		st = string(d.Signer.SignType())
	}
	if st != "" && st != "-" {
		fmt.Fprintf(&b, "  <sign_type>%s</sign_type>\n", st)
	}
	b.WriteString("</alipay>\n")
	out, err := EncodeCharset(b.String(), enc)
	require.NoError(t, err)
	return out
}

// gwAnswerDoc answers every request with doc.
func gwAnswerDoc(t *testing.T, doc gwDoc) gwAnswer {
	b := doc.bytes(t)
	return func(w http.ResponseWriter, _ *http.Request, _ Params) { gwWrite(w, b) }
}

// gwWithout returns a copy of p without keys.
func gwWithout(p Params, keys ...string) Params {
	c := p.Clone()
	for _, k := range keys {
		delete(c, k)
	}
	return c
}

func gwWrite(w http.ResponseWriter, doc []byte) {
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(doc)
}

func gwCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// gwSlow never answers: it returns when the request is abandoned, by the
// client or by the test server closing at the end of the test. A call
// that does not stop by itself therefore hangs the test instead of
// passing; no clock is read.
func gwSlow(_ http.ResponseWriter, r *http.Request, _ Params) {
	<-r.Context().Done()
}

var gwSignTypes = []SignType{MD5, RSA, RSA2}

func TestCallSignsAndSends(t *testing.T) {
	for _, st := range gwSignTypes {
		for _, post := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s post=%v", st, post), func(t *testing.T) {
				f := newGW(t, st, func(w http.ResponseWriter, _ *http.Request, _ Params) {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
					_, _ = io.WriteString(w, "ok")
				})
				body, ct, err := f.client.call(gwCtx(t), Params{"service": string(ServiceQuery), "out_trade_no": "A-1", "subject": "测试 & more"}, post)
				require.NoError(t, err)
				assert.Equal(t, "ok", string(body))
				assert.Equal(t, "text/plain; charset=utf-8", ct)

				s := f.last(t)
				assert.NoError(t, s.VerifyErr)
				want := Params{"service": "single_trade_query", "out_trade_no": "A-1", "subject": "测试 & more",
					"partner": sandboxPartner, "_input_charset": "utf-8", "sign_type": string(st)}
				for k, v := range want {
					assert.Equal(t, v, s.Params[k], k)
				}
				assert.Len(t, s.Params, len(want)+1, "the parameters plus sign")
				if post {
					assert.Equal(t, http.MethodPost, s.Method)
					assert.Equal(t, "application/x-www-form-urlencoded; charset=utf-8", s.ContentType)
					assert.Equal(t, Params{"_input_charset": "utf-8"}, s.Query, "a POST carries _input_charset in the URL")
					form := s.Params.Clone()
					delete(form, "_input_charset")
					assert.Equal(t, form, s.Form, "and everything else, sign included, in the body only")
				} else {
					assert.Equal(t, http.MethodGet, s.Method)
					assert.Empty(t, s.Form)
					assert.Equal(t, s.Params, s.Query)
				}
			})
		}
	}
}

// TestCallGBK sends a request declared GBK: its values travel as GBK
// bytes, in the query or in the body, and the gateway reading them in GBK
// verifies the signature.
func TestCallGBK(t *testing.T) {
	for _, st := range gwSignTypes {
		for _, post := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s post=%v", st, post), func(t *testing.T) {
				var raw atomic.Value
				f := newGW(t, st, func(w http.ResponseWriter, r *http.Request, _ Params) {
					raw.Store(r.URL.RawQuery)
					_, _ = io.WriteString(w, "ok")
				})
				_, _, err := f.client.call(gwCtx(t), Params{"service": string(ServiceQuery), "out_trade_no": "A-1",
					"subject": "儿童服装", "_input_charset": "GBK"}, post)
				require.NoError(t, err)
				s := f.last(t)
				assert.NoError(t, s.VerifyErr)
				assert.Equal(t, "儿童服装", s.Params["subject"])
				assert.Equal(t, "GBK", s.Params["_input_charset"])
				if post {
					assert.Equal(t, "application/x-www-form-urlencoded; charset=gbk", s.ContentType)
					assert.Equal(t, "_input_charset=GBK", raw.Load())
				} else {
					assert.Contains(t, raw.Load(), "subject=%B6%F9%CD%AF%B7%FE%D7%B0", "GBK bytes, not UTF-8")
				}
			})
		}
	}
}

func TestCallRequestSignatureIsChecked(t *testing.T) {
	// The fake gateway verifies for real: a client with another key is refused.
	f := newGW(t, MD5, func(w http.ResponseWriter, _ *http.Request, _ Params) {
		t.Error("a request with a bad signature was answered")
	})
	f.badSignOK = true
	cfg := f.cfg
	cfg.Gateway, cfg.HTTPClient, cfg.MD5Key = f.srv.URL+"/gateway.do", f.srv.Client(), strings.Repeat("a", 32)
	c, err := NewClient(cfg)
	require.NoError(t, err)
	_, err = c.QueryTrade(gwCtx(t), QueryRequest{OutTradeNo: "A-1"})
	assert.ErrorIs(t, err, ErrIllegalSign)
	assert.ErrorIs(t, f.last(t).VerifyErr, ErrSignature)
}

func TestCallTransportErrors(t *testing.T) {
	tests := []struct {
		name    string
		answer  gwAnswer
		timeout time.Duration // context deadline; 0 = none beyond the test's
		cancel  bool          // cancel the context while waiting
		client  time.Duration // http.Client.Timeout; 0 = none
		closed  bool          // the server is gone
		wantCtx error
		wantMsg string
	}{
		{name: "500", answer: func(w http.ResponseWriter, _ *http.Request, _ Params) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}, wantMsg: "500"},
		{name: "503", answer: func(w http.ResponseWriter, _ *http.Request, _ Params) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}, wantMsg: "503"},
		{name: "404", answer: func(w http.ResponseWriter, r *http.Request, _ Params) {
			http.NotFound(w, r)
		}, wantMsg: "404"},
		{name: "body over 1 MiB", answer: func(w http.ResponseWriter, _ *http.Request, _ Params) {
			_, _ = w.Write([]byte(strings.Repeat("x", maxAnswer+1)))
		}, wantMsg: "larger than"},
		{name: "context deadline", answer: gwSlow, timeout: 100 * time.Millisecond, wantCtx: context.DeadlineExceeded},
		{name: "context canceled", answer: gwSlow, cancel: true, wantCtx: context.Canceled},
		{name: "client timeout", answer: gwSlow, client: 100 * time.Millisecond, wantMsg: "Timeout"},
		{name: "connection refused", answer: gwSlow, closed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGW(t, MD5, tt.answer)
			c := f.client
			if tt.client != 0 {
				cfg := f.cfg
				cfg.Gateway, cfg.HTTPClient = f.srv.URL+"/gateway.do", &http.Client{Transport: &http.Transport{}, Timeout: tt.client}
				var err error
				c, err = NewClient(cfg)
				require.NoError(t, err)
			}
			if tt.closed {
				f.srv.Close()
			}
			ctx := gwCtx(t)
			if tt.timeout != 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			if tt.cancel {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			_, _, err := c.call(ctx, Params{"service": string(ServiceQuery), "out_trade_no": "A-1"}, false)
			require.ErrorIs(t, err, ErrGateway)
			if tt.wantCtx != nil {
				assert.ErrorIs(t, err, tt.wantCtx)
			}
			if tt.wantMsg != "" {
				assert.Contains(t, err.Error(), tt.wantMsg)
			}
			assert.NotContains(t, err.Error(), "sign=", "errors must not repeat the signed URL")
		})
	}
}

func TestParseAnswer(t *testing.T) {
	trade := []string{"out_trade_no", "12345", "total_fee", "350.45", "trade_no", "2024010222001300000000000001", "trade_status", "TRADE_FINISHED"}
	for _, st := range gwSignTypes {
		c, side := gwOffline(t, st)
		// A key that is not Alipay's: another MD5 key, or the merchant's own.
		rsa1, rsa2 := sandboxSigners(t)
		other := map[SignType]Signer{RSA: rsa1, RSA2: rsa2}[st]
		if st == MD5 {
			k, err := NewMD5Key(strings.Repeat("b", 32))
			require.NoError(t, err)
			other = k
		}
		tests := []struct {
			name   string
			body   []byte
			bare   bool
			want   error // nil: success
			fields Params
			code   string // for *GatewayError
		}{
			{name: "signed trade", body: gwDoc{Node: "trade", Fields: trade, Signer: side.alipay}.bytes(t),
				fields: Params{"out_trade_no": "12345", "total_fee": "350.45", "trade_no": "2024010222001300000000000001", "trade_status": "TRADE_FINISHED"}},
			{name: "GBK signed over GBK bytes", body: gwDoc{Encoding: "GBK", Node: "trade", Fields: []string{"subject", "测试商品", "trade_no", "1"}, Signer: side.alipay}.bytes(t),
				fields: Params{"subject": "测试商品", "trade_no": "1"}},
			{name: "gb2312 lowercase", body: gwDoc{Encoding: "gb2312", Node: "trade", Fields: []string{"subject", "测试商品"}, Signer: side.alipay}.bytes(t),
				fields: Params{"subject": "测试商品"}},
			{name: "GBK declared but signed over UTF-8", body: gwDoc{Encoding: "GBK", Node: "trade", Fields: []string{"subject", "测试商品"}, Signer: side.alipay, SignIn: "utf-8"}.bytes(t),
				want: ErrSignature},
			{name: "empty and nested leaves are not signed", body: gwDoc{Node: "trade", Fields: []string{"trade_no", "1", "body", ""}, Raw: "<extra><x>1</x></extra>\n", Signer: side.alipay}.bytes(t),
				fields: Params{"trade_no": "1", "body": ""}},
			{name: "escaped text", body: gwDoc{Node: "trade", Fields: []string{"subject", `a&b<c>"d"`}, Signer: side.alipay}.bytes(t),
				fields: Params{"subject": `a&b<c>"d"`}},
			{name: "signed by another key", body: gwDoc{Node: "trade", Fields: trade, Signer: other, SignType: string(st)}.bytes(t), want: ErrSignature},
			{name: "no sign", body: gwDoc{Node: "trade", Fields: trade, SignType: string(st)}.bytes(t), want: ErrSignature},
			{name: "no sign, no sign_type", body: gwDoc{Node: "trade", Fields: trade}.bytes(t), want: ErrSignature},
			{name: "tampered sign", body: gwDoc{Node: "trade", Fields: trade, Sign: "00112233445566778899aabbccddeeff", SignType: string(st)}.bytes(t), want: ErrSignature},
			{name: "tampered field", body: gwReplace(gwDoc{Node: "trade", Fields: trade, Signer: side.alipay}.bytes(t), "350.45", "350.46"), want: ErrSignature},
			{name: "wrong sign_type", body: gwDoc{Node: "trade", Fields: trade, Signer: side.alipay, SignType: gwOtherSignType(st)}.bytes(t), want: ErrSignType},
			{name: "lowercase sign_type", body: gwDoc{Node: "trade", Fields: trade, Signer: side.alipay, SignType: strings.ToLower(string(st))}.bytes(t), want: ErrSignType},
			{name: "no sign_type is fine", body: gwDoc{Node: "trade", Fields: []string{"trade_no", "1"}, Signer: side.alipay, SignType: "-"}.bytes(t), fields: Params{"trade_no": "1"}},
			{name: "refusal unsigned", body: gwDoc{Success: "F", Error: "TRADE_NOT_EXIST"}.bytes(t), code: "TRADE_NOT_EXIST"},
			{name: "refusal GBK", body: gwDoc{Encoding: "GBK", Success: "F", Error: "ILLEGAL_PARTNER"}.bytes(t), code: "ILLEGAL_PARTNER"},
			{name: "refusal signed over error=CODE", body: gwDoc{Success: "F", Error: "SYSTEM_ERROR", Signer: side.alipay}.bytes(t), code: "SYSTEM_ERROR"},
			{name: "refusal with a bad sign", body: gwDoc{Success: "F", Error: "SYSTEM_ERROR", Sign: "00112233445566778899aabbccddeeff", SignType: string(st)}.bytes(t), want: ErrSignature},
			{name: "F without code", body: gwDoc{Success: "F"}.bytes(t), want: ErrGateway},
			{name: "is_success missing", body: []byte(`<alipay><error>X</error></alipay>`), want: ErrGateway},
			{name: "is_success Y", body: gwDoc{Success: "Y", Node: "trade", Fields: trade, Signer: side.alipay}.bytes(t), want: ErrGateway},
			{name: "bare T refused", body: gwDoc{}.bytes(t), want: ErrGateway},
			{name: "bare T accepted", body: gwDoc{}.bytes(t), bare: true, fields: Params{}},
			{name: "bare T with bare flag still checks a node", body: gwDoc{Node: "refund", Fields: []string{"out_return_no", "R1"}}.bytes(t), bare: true, want: ErrSignature},
			{name: "two business nodes", body: []byte(`<alipay><is_success>T</is_success><response><trade><a>1</a></trade><trade><a>2</a></trade></response></alipay>`), want: ErrGateway},
			{name: "repeated leaf", body: []byte(`<alipay><is_success>T</is_success><response><trade><a>1</a><a>2</a></trade></response></alipay>`), want: ErrGateway},
			{name: "malformed XML", body: []byte(`<alipay><is_success>T</is_success><response><trade>`), want: ErrGateway},
			{name: "not XML", body: []byte("<html><body>Service unavailable</body></html>"), want: ErrGateway},
			{name: "empty body", body: nil, want: ErrGateway},
			{name: "plain text", body: []byte("true"), want: ErrGateway},
			{name: "content after root", body: append(gwDoc{Node: "trade", Fields: trade, Signer: side.alipay}.bytes(t), "<alipay/>"...), want: ErrGateway},
			{name: "unknown encoding", body: []byte(`<?xml version="1.0" encoding="Shift_JIS"?><alipay><is_success>F</is_success><error>X</error></alipay>`), want: ErrGateway},
			{name: "invalid UTF-8", body: []byte("<alipay><is_success>T</is_success><response><trade><s>\xff</s></trade></response></alipay>"), want: ErrGateway},
		}
		for _, tt := range tests {
			t.Run(string(st)+" "+tt.name, func(t *testing.T) {
				a, err := c.parseAnswer(ServiceQuery, tt.body, tt.bare)
				switch {
				case tt.code != "":
					var ge *GatewayError
					require.ErrorAs(t, err, &ge)
					assert.Equal(t, tt.code, ge.Code)
					assert.Equal(t, ServiceQuery, ge.Service)
				case tt.want != nil:
					require.ErrorIs(t, err, tt.want)
					assert.Nil(t, a)
					if tt.want != ErrGateway {
						assert.NotErrorIs(t, err, ErrGateway, "a bad signature is not transient")
					}
				default:
					require.NoError(t, err)
					assert.Equal(t, tt.fields, a.fields)
				}
			})
		}
	}
}

func gwOtherSignType(st SignType) string {
	if st == RSA2 {
		return string(RSA)
	}
	return string(RSA2)
}

func gwReplace(b []byte, old, new string) []byte {
	return []byte(strings.Replace(string(b), old, new, 1))
}
