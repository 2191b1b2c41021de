package payment

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Gateways Alipay publishes. The gateway is configuration, never a constant
// baked into code that builds requests.
const (
	GatewayProduction = "https://intlmapi.alipay.com/gateway.do"
	GatewaySandbox    = "https://mapi.alipaydev.com/gateway.do"
)

// Config is what a Client needs: the gateway, the partner and its keys.
type Config struct {
	Gateway string // gateway URL, e.g. GatewayProduction
	Partner string // PID: 16 digits starting with 2088

	// SignType chooses the algorithm for requests and the only one accepted
	// on what Alipay sends. MD5 needs MD5Key; RSA and RSA2 need PrivateKey
	// (the merchant's) and AlipayPublicKey.
	SignType        SignType
	MD5Key          string
	PrivateKey      *rsa.PrivateKey
	AlipayPublicKey *rsa.PublicKey

	// HTTPClient makes the server calls (query, refund, notify_verify,
	// rate file). Nil means a client with a 15-second timeout.
	HTTPClient *http.Client

	// Now is the clock that says which day is today in Beijing, the day
	// the reconciliation and settlement files may not reach. Nil means
	// time.Now.
	Now func() time.Time
}

// Client speaks the merchant side of the cross-border mapi protocol: it
// builds signed payment requests, verifies what Alipay sends back and makes
// the server-to-server calls. It is safe for concurrent use.
type Client struct {
	gateway  string
	partner  string
	signer   Signer
	verifier Verifier
	http     *http.Client
	now      func() time.Time
}

// NewClient checks cfg and returns a Client. Every configuration mistake
// (missing key, key of the wrong kind, bad partner) is reported here, at
// start-up, rather than at the first payment.
func NewClient(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.Gateway)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("payment: gateway %q must be an absolute http(s) URL without a query", cfg.Gateway)
	}
	if err := checkPartner("partner", cfg.Partner); err != nil {
		return nil, fmt.Errorf("payment: partner %q must be 16 digits starting with 2088", cfg.Partner)
	}
	c := &Client{gateway: cfg.Gateway, partner: cfg.Partner, http: cfg.HTTPClient, now: cfg.Now}
	if c.http == nil {
		c.http = &http.Client{Timeout: 15 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	switch cfg.SignType {
	case MD5:
		if cfg.MD5Key == "" {
			return nil, fmt.Errorf("%w: sign type MD5 needs an MD5 key", ErrKey)
		}
		k, err := NewMD5Key(cfg.MD5Key)
		if err != nil {
			return nil, err
		}
		c.signer, c.verifier = k, k
	case RSA, RSA2:
		if cfg.PrivateKey == nil || cfg.AlipayPublicKey == nil {
			return nil, fmt.Errorf("%w: sign type %s needs the merchant private key and Alipay's public key", ErrKey, cfg.SignType)
		}
		if c.signer, err = NewRSASigner(cfg.SignType, cfg.PrivateKey); err != nil {
			return nil, err
		}
		if c.verifier, err = NewRSAVerifier(cfg.SignType, cfg.AlipayPublicKey); err != nil {
			return nil, err
		}
		if cfg.AlipayPublicKey.Equal(&cfg.PrivateKey.PublicKey) {
			return nil, fmt.Errorf("%w: Alipay's public key is the merchant's own public key; download Alipay's from the merchant portal", ErrKey)
		}
	default:
		_, err := ParseSignType(string(cfg.SignType))
		return nil, err
	}
	return c, nil
}

// Partner returns the configured PID.
func (c *Client) Partner() string { return c.partner }

// SignType returns the configured sign type.
func (c *Client) SignType() SignType { return c.signer.SignType() }

// Gateway returns the configured gateway URL.
func (c *Client) Gateway() string { return c.gateway }

// sign adds partner and charset to p and signs it.
func (c *Client) sign(p Params) (Params, error) {
	p = p.Clone()
	p["partner"] = c.partner
	if p["_input_charset"] == "" {
		p["_input_charset"] = "utf-8"
	}
	return Sign(c.signer, p)
}

// SignedTrade validates req and returns its signed parameters.
func (c *Client) SignedTrade(req TradeRequest) (Params, error) {
	p, err := req.params()
	if err != nil {
		return nil, err
	}
	return c.sign(p)
}

// PayURL returns the gateway URL to send the buyer's browser to (with a 302
// or 303) for a create_forex_trade_wap or create_forex_trade payment.
func (c *Client) PayURL(req TradeRequest) (string, error) {
	p, err := c.SignedTrade(req)
	if err != nil {
		return "", err
	}
	return c.gateway + "?" + p.Encode(), nil
}

// Form is a signed request to be POSTed by the buyer's browser.
type Form struct {
	Action string // gateway URL with _input_charset in the query, as Alipay asks for POSTs
	Fields Params
}

// PayForm returns req as a form to POST to the gateway, for pages that
// prefer a form to a long redirect URL.
func (c *Client) PayForm(req TradeRequest) (*Form, error) {
	p, err := c.SignedTrade(req)
	if err != nil {
		return nil, err
	}
	return &Form{Action: c.gateway + "?_input_charset=" + url.QueryEscape(p.Charset()), Fields: p}, nil
}

var formTemplate = template.Must(template.New("form").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Alipay</title></head>
<body onload="document.forms[0].submit()"><form method="post" action="{{.Action}}" accept-charset="utf-8">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<noscript><button type="submit">Continue to Alipay</button></noscript></form></body></html>
`))

// HTML renders f as a small page that submits itself (with a button when
// JavaScript is off).
func (f *Form) HTML() (string, error) {
	var b strings.Builder
	if err := formTemplate.Execute(&b, f); err != nil {
		return "", err
	}
	return b.String(), nil
}

// ErrPartner is wrapped when a message from Alipay names another partner.
// It is checked after the signature, so the message is genuine
// (Notification.Verified is true): Alipay's RSA key signs for every
// merchant, and a real notification about someone else's trade must not
// pay an order here. It is not ErrContent: nothing about the message is
// malformed, it is simply not this partner's.
var ErrPartner = errors.New("payment: message is for another partner")
