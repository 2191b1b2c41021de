package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"shop/mail"
	"shop/models"
	"shop/payment"
)

// sandboxPartner is the PID of Alipay's public cross-border sandbox, used by
// the local sandbox when ALIPAY_PARTNER is unset; sandboxMD5Key is the MD5
// key published with it. Both are public: anyone can sign with them.
const (
	sandboxPartner = "2088101122136241"
	sandboxMD5Key  = "760bdzec6y9goq7ctyx96ezkz78287de"
)

// gatewaySandbox is the ALIPAY_GATEWAY value that chooses sandbox mode
// explicitly, with whatever credentials are configured.
const gatewaySandbox = "sandbox"

// config is the shop's configuration: environment variables, a few
// mirrored by flags. Every variable is declared once, in settings, with
// whether it is secret, so the start log cannot show a secret by mistake.
type config struct {
	Addr           string
	BaseURL        string // empty until known: in sandbox mode it follows the port of Addr
	DBPath         string
	DatabaseURL    string // postgres://…: the shop's database, instead of the SQLite file DBPath
	Instances      int    // how many instances run behind the load balancer
	TrustedProxies []string
	AdminPassword  string
	SessionKey     string

	Gateway        string // "" or "sandbox": sandbox mode
	Partner        string
	SignType       payment.SignType
	MD5Key         string
	PrivateKeyFile string
	PublicKeyFile  string
	Currency       payment.Currency
	NotifyVerify   bool
	Timeout        string
	// SendTimeoutRule also sends Timeout as the relative timeout_rule or
	// it_b_pay, which Alipay takes only where the contract enables it.
	SendTimeoutRule bool

	TimeScale float64 // SANDBOX_TIME_SCALE
	// RefundInterval is the least time the sandbox allows between two
	// refunds of the merchant (Alipay's is 3 s); 0 turns the rule off.
	RefundInterval time.Duration
	// ReconcileInterval is how often pending orders past their expiry are
	// settled with single_trade_query.
	ReconcileInterval time.Duration
	LogLevel          string
	// SMTPURL is where order e-mails go; "" writes them to the log (and,
	// in sandbox mode, to the sandbox's mailbox). SMTPFrom is their
	// sender; "" means noreply@ the host of BASE_URL.
	SMTPURL, SMTPFrom string

	// Shipping is SHIPPING_FLAT and SHIPPING_FREE_OVER in minor units of
	// Currency (config_shipping.go).
	Shipping models.Shipping
	// RateMaxAge is CNY_ESTIMATE_MAX_AGE: the CNY estimates of Chinese
	// pages hide when Alipay's rate is older.
	RateMaxAge time.Duration

	// raw holds every variable as read, by name, for the start log.
	raw map[string]string
	// generated names the secrets the shop generated itself (rather than
	// read from the environment), with the file they are kept in.
	generated map[string]string
	// passwordCost is bcrypt's cost for staff passwords; 0 is the
	// default. Only tests change it: under the race detector the default
	// costs seconds per hash.
	passwordCost int
	// alipayNow is the clock of what talks to Alipay on a schedule or by
	// the day: the Alipay client's (which day is today for the files), the
	// sandbox's, the refund checker's and the reconciliation's. nil is
	// time.Now; only tests change it, to fetch the files of a day they
	// made or to make a refund's check due.
	alipayNow func() time.Time
	// warnings are settings that are allowed but unwise, each with its
	// fix; serve logs them at start.
	warnings []string
}

// setting is one configuration variable.
type setting struct {
	env    string
	def    string
	flag   string // the flag mirroring it, if any
	usage  string
	secret bool // never logged, only whether it is set
	redact bool // a URL logged without its password
}

// settings lists every variable the shop reads.
var settings = []setting{
	{env: "ADDR", def: ":8080", flag: "addr", usage: "listen address"},
	{env: "BASE_URL", flag: "base-url", usage: "public base URL; notify_url and return_url are built from it"},
	{env: "DB_PATH", def: "shop.db", flag: "db", usage: "SQLite file"},
	{env: "DATABASE_URL", redact: true},
	{env: "INSTANCES", def: "1"},
	{env: "TRUSTED_PROXIES", usage: "comma-separated CIDRs of proxies whose X-Forwarded-For is believed"},
	{env: "ADMIN_PASSWORD", secret: true},
	{env: "SESSION_KEY", secret: true},
	{env: "ALIPAY_GATEWAY"},
	{env: "ALIPAY_PARTNER"},
	{env: "ALIPAY_SIGN_TYPE", def: "RSA2"},
	{env: "ALIPAY_MD5_KEY", secret: true},
	{env: "ALIPAY_PRIVATE_KEY_FILE"},
	{env: "ALIPAY_PUBLIC_KEY_FILE"},
	{env: "ALIPAY_CURRENCY", def: "USD"},
	{env: "ALIPAY_NOTIFY_VERIFY", def: "true"},
	{env: "ALIPAY_TIMEOUT", def: "30m"},
	{env: "ALIPAY_SEND_TIMEOUT_RULE", def: "false"},
	{env: "SANDBOX_TIME_SCALE", def: "1"},
	{env: "SANDBOX_REFUND_INTERVAL", def: "3s"},
	{env: "RECONCILE_INTERVAL", def: "1m"},
	{env: "LOG_LEVEL", def: "info"},
	{env: "SMTP_URL", redact: true, usage: "smtp://user:password@host:587 (STARTTLS) or smtps://…:465 for order e-mails; unset: logged"},
	{env: "SMTP_FROM", usage: "sender of order e-mails, like Shop <shop@example.com>; unset: noreply@ the host of BASE_URL"},
	{env: "SHIPPING_FLAT", def: defaultShippingFlat, usage: "shipping charge per order in ALIPAY_CURRENCY; 0 ships free"},
	{env: "SHIPPING_FREE_OVER", usage: "orders whose items cost this much or more ship free; unset: never"},
	{env: "CNY_ESTIMATE_MAX_AGE", def: "26h", usage: "hide the ≈ ¥ estimates when Alipay's rate is older"},
}

// Sandbox reports whether the shop runs against its own local gateway.
func (c *config) Sandbox() bool { return c.Gateway == "" || c.Gateway == gatewaySandbox }

// credentials lists the Alipay credentials that are configured.
func (c *config) credentials() []string {
	var set []string
	for _, env := range []string{"ALIPAY_PARTNER", "ALIPAY_MD5_KEY", "ALIPAY_PRIVATE_KEY_FILE", "ALIPAY_PUBLIC_KEY_FILE"} {
		if c.raw[env] != "" {
			set = append(set, env)
		}
	}
	return set
}

func (c *config) warn(format string, args ...any) {
	c.warnings = append(c.warnings, fmt.Sprintf(format, args...))
}

// KeyDir is where generated keys live: beside the database.
func (c *config) KeyDir() string { return c.DBPath + ".keys" }

// loadConfig reads the environment, then flags, and validates everything
// that can be checked without touching files.
func loadConfig(args []string, getenv func(string) string, out io.Writer) (*config, error) {
	raw := make(map[string]string, len(settings))
	fs := flag.NewFlagSet("shop serve", flag.ContinueOnError)
	fs.SetOutput(out)
	flags := map[string]*string{}
	for _, s := range settings {
		v := strings.TrimSpace(getenv(s.env))
		if v == "" {
			v = s.def
		}
		raw[s.env] = v
		if s.flag != "" {
			flags[s.env] = fs.String(s.flag, v, s.usage+" ("+s.env+")")
		}
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for env, v := range flags {
		raw[env] = strings.TrimSpace(*v)
	}
	c := &config{
		Addr: raw["ADDR"], BaseURL: raw["BASE_URL"], DBPath: raw["DB_PATH"], DatabaseURL: raw["DATABASE_URL"],
		AdminPassword: raw["ADMIN_PASSWORD"], SessionKey: raw["SESSION_KEY"], Gateway: raw["ALIPAY_GATEWAY"],
		Partner: raw["ALIPAY_PARTNER"], SignType: payment.SignType(raw["ALIPAY_SIGN_TYPE"]), MD5Key: raw["ALIPAY_MD5_KEY"],
		PrivateKeyFile: raw["ALIPAY_PRIVATE_KEY_FILE"], PublicKeyFile: raw["ALIPAY_PUBLIC_KEY_FILE"],
		Currency: payment.Currency(raw["ALIPAY_CURRENCY"]), Timeout: raw["ALIPAY_TIMEOUT"], LogLevel: raw["LOG_LEVEL"],
		SMTPURL: raw["SMTP_URL"], SMTPFrom: raw["SMTP_FROM"],
		raw: raw, generated: map[string]string{},
	}
	var err error
	if c.NotifyVerify, err = strconv.ParseBool(raw["ALIPAY_NOTIFY_VERIFY"]); err != nil {
		return nil, fmt.Errorf("ALIPAY_NOTIFY_VERIFY must be true or false")
	}
	if c.SendTimeoutRule, err = strconv.ParseBool(raw["ALIPAY_SEND_TIMEOUT_RULE"]); err != nil {
		return nil, fmt.Errorf("ALIPAY_SEND_TIMEOUT_RULE must be true or false")
	}
	if c.TimeScale, err = strconv.ParseFloat(raw["SANDBOX_TIME_SCALE"], 64); err != nil || c.TimeScale <= 0 || c.TimeScale > 1e7 {
		return nil, fmt.Errorf("SANDBOX_TIME_SCALE must be a positive number")
	}
	if c.RefundInterval, err = time.ParseDuration(raw["SANDBOX_REFUND_INTERVAL"]); err != nil || c.RefundInterval < 0 {
		return nil, fmt.Errorf("SANDBOX_REFUND_INTERVAL must be a duration, like 3s, or 0 for no limit")
	}
	if c.ReconcileInterval, err = time.ParseDuration(raw["RECONCILE_INTERVAL"]); err != nil || c.ReconcileInterval < time.Second {
		return nil, fmt.Errorf("RECONCILE_INTERVAL must be a duration of a second or more, like 1m")
	}
	if c.Instances, err = strconv.Atoi(raw["INSTANCES"]); err != nil || c.Instances < 1 || c.Instances > 1000 {
		return nil, fmt.Errorf("INSTANCES must be the number of instances behind the load balancer, 1 or more")
	}
	if c.TrustedProxies, err = parseProxies(raw["TRUSTED_PROXIES"]); err != nil {
		return nil, err
	}
	return c, c.validate()
}

// parseProxies reads TRUSTED_PROXIES: CIDRs or single addresses, separated
// by commas or spaces.
func parseProxies(s string) ([]string, error) {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is neither an IP address nor a CIDR such as 10.0.0.0/8", p)
		}
		out = append(out, p)
	}
	return out, nil
}

func (c *config) validate() error {
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("BASE_URL %q must be a scheme and host, like https://shop.example.com", c.BaseURL)
		}
		if u.User != nil {
			// notify_url and return_url are built from it and sent to
			// Alipay and to every buyer's browser.
			return fmt.Errorf("BASE_URL must not hold a user name or password (it is sent to Alipay and to buyers): remove the part before @")
		}
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("ADDR %q must be host:port or :port, like :8080", c.Addr)
	}
	if err := c.validateStorage(); err != nil {
		return err
	}
	if err := c.validateMail(); err != nil {
		return err
	}
	if _, err := payment.ParseSignType(string(c.SignType)); err != nil {
		return fmt.Errorf("ALIPAY_SIGN_TYPE: %w", err)
	}
	if !c.Currency.Valid() || c.Currency == payment.CNY {
		return fmt.Errorf("ALIPAY_CURRENCY %q is not a settlement currency Alipay accepts", c.Currency)
	}
	if err := c.parseShipping(); err != nil {
		return err
	}
	if _, err := payment.ParseTimeout(c.Timeout); err != nil || !allowedTimeout(c.Timeout) {
		return fmt.Errorf("ALIPAY_TIMEOUT %q must be one of %s", c.Timeout, strings.Join(payment.TimeoutRules, " "))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("LOG_LEVEL must be debug, info, warn or error")
	}
	if c.Sandbox() {
		return c.validateSandbox()
	}
	return c.validateAlipay()
}

// validateStorage checks DB_PATH, DATABASE_URL and SESSION_KEY.
func (c *config) validateStorage() error {
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return fmt.Errorf("DATABASE_URL must be a PostgreSQL URL, like postgres://shop:password@db.internal:5432/shop")
		}
		// Several instances share the database: a key generated beside
		// one instance's files would differ from the next one's.
		if c.SessionKey == "" {
			return fmt.Errorf("DATABASE_URL needs SESSION_KEY, the same in every instance (generate one with: openssl rand -hex 64)")
		}
		if c.PrivateKeyFile == "" && c.SignType != payment.MD5 {
			return fmt.Errorf("DATABASE_URL needs ALIPAY_PRIVATE_KEY_FILE, the same key file in every instance (shop alipay keygen writes one)")
		}
		if c.SignType == payment.MD5 && c.MD5Key == "" {
			return fmt.Errorf("DATABASE_URL needs ALIPAY_MD5_KEY, the same in every instance")
		}
	}
	if c.DBPath == "" {
		return fmt.Errorf("DB_PATH must not be empty")
	}
	c.DBPath = filepath.Clean(c.DBPath)
	if fi, err := os.Stat(c.DBPath); err == nil && fi.IsDir() {
		return fmt.Errorf("DB_PATH %s is a directory: name the database file inside it, like DB_PATH=%s", c.DBPath, filepath.Join(c.DBPath, "shop.db"))
	}
	if k := c.SessionKey; k != "" && strings.Trim(strings.ToLower(k), string(k[0])) == "" {
		return fmt.Errorf("SESSION_KEY is one repeated digit, which anyone could guess: generate one with openssl rand -hex 64")
	}
	return nil
}

// validateMail checks SMTP_URL and SMTP_FROM. Its errors never repeat
// SMTP_URL, which holds a password.
func (c *config) validateMail() error {
	if c.SMTPURL != "" {
		if _, err := mail.ParseSMTPURL(c.SMTPURL); err != nil {
			return err
		}
	}
	if c.SMTPFrom != "" {
		if _, err := mail.ParseFrom(c.SMTPFrom, ""); err != nil {
			return fmt.Errorf("SMTP_FROM: %w", err)
		}
	}
	return nil
}

// validateSandbox decides whether sandbox mode was chosen on purpose: with
// no Alipay credential at all, or with ALIPAY_GATEWAY=sandbox. A credential
// without a gateway is a half-configured production shop: starting the
// sandbox would take orders nobody pays for, signed with the merchant's
// own key.
func (c *config) validateSandbox() error {
	if set := c.credentials(); c.Gateway == "" && len(set) > 0 {
		return fmt.Errorf("%s is set but ALIPAY_GATEWAY is not: set ALIPAY_GATEWAY=https://intlmapi.alipay.com/gateway.do "+
			"to take real payments, or ALIPAY_GATEWAY=sandbox to try the local sandbox with these credentials (it signs with them)",
			strings.Join(set, ", "))
	}
	if c.Gateway == gatewaySandbox && ((c.Partner != "" && c.Partner != sandboxPartner) || (c.MD5Key != "" && c.MD5Key != sandboxMD5Key)) {
		c.warn("ALIPAY_GATEWAY=sandbox with your own credentials: the local sandbox signs notifications with them, " +
			"so never use production keys in sandbox mode; unset ALIPAY_PARTNER and ALIPAY_MD5_KEY to let it generate its own")
	}
	if c.Partner == "" {
		c.Partner = sandboxPartner
		c.raw["ALIPAY_PARTNER"] = sandboxPartner + " (the sandbox's)"
	}
	return nil
}

// validateAlipay checks the settings for a real gateway: every credential
// given, nothing that would let someone else sign, https everywhere money
// travels.
func (c *config) validateAlipay() error {
	gw, err := url.Parse(c.Gateway)
	if err != nil || gw.Host == "" || (gw.Scheme != "https" && gw.Scheme != "http") {
		return fmt.Errorf("ALIPAY_GATEWAY %q must be a URL such as https://intlmapi.alipay.com/gateway.do, or sandbox", c.Gateway)
	}
	loopback := isLoopback(gw.Hostname())
	if gw.Scheme != "https" && !loopback {
		return fmt.Errorf("ALIPAY_GATEWAY must be https:// (queries, refunds and notify_verify answers would cross the network in clear): use https://%s%s", gw.Host, gw.Path)
	}
	alipaySandbox := hostUnder(gw.Hostname(), "alipaydev.com")
	if !loopback && !alipaySandbox && !hostUnder(gw.Hostname(), "alipay.com") {
		c.warn("ALIPAY_GATEWAY host %s is not an Alipay host: buyers will be sent there to pay; "+
			"use https://intlmapi.alipay.com/gateway.do unless Alipay gave you this address", gw.Hostname())
	}
	if c.Partner == "" {
		return fmt.Errorf("ALIPAY_PARTNER is required with ALIPAY_GATEWAY")
	}
	if c.SignType == payment.MD5 && c.MD5Key == "" {
		return fmt.Errorf("ALIPAY_SIGN_TYPE=MD5 needs ALIPAY_MD5_KEY")
	}
	if c.SignType != payment.MD5 && (c.PrivateKeyFile == "" || c.PublicKeyFile == "") {
		return fmt.Errorf("ALIPAY_SIGN_TYPE=%s needs ALIPAY_PRIVATE_KEY_FILE and ALIPAY_PUBLIC_KEY_FILE", c.SignType)
	}
	if !alipaySandbox && !loopback {
		// The public sandbox credentials are published: anyone could sign
		// a notification with them.
		if c.Partner == sandboxPartner {
			return fmt.Errorf("ALIPAY_PARTNER %s is Alipay's public sandbox PID, not a merchant's: use the PID of your contract", sandboxPartner)
		}
		if c.MD5Key == sandboxMD5Key {
			return fmt.Errorf("ALIPAY_MD5_KEY is the publicly documented sandbox key, which anyone can sign with: use the key from your merchant portal")
		}
	}
	if c.SignType == payment.MD5 && !c.NotifyVerify {
		c.warn("ALIPAY_SIGN_TYPE=MD5 with ALIPAY_NOTIFY_VERIFY=false: whoever learns the MD5 key can forge notifications, " +
			"and seller_id is then the only check that a notification is for you; set ALIPAY_NOTIFY_VERIFY=true, or better, use RSA2")
	}
	if loopback {
		// A gateway on this machine (another instance's sandbox, a local
		// fake) reaches this shop on loopback too: BASE_URL may be http,
		// or unset to follow ADDR's port.
		return nil
	}
	if c.BaseURL == "" {
		return fmt.Errorf("BASE_URL is required with ALIPAY_GATEWAY: it is where Alipay sends notifications, like https://shop.example.com")
	}
	if !strings.HasPrefix(c.BaseURL, "https://") {
		return fmt.Errorf("BASE_URL must be https:// when talking to the real Alipay (it is where notify_url points)")
	}
	return nil
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostUnder reports whether host is domain or one of its subdomains.
func hostUnder(host, domain string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// resolveBaseURL sets BASE_URL, when it was not configured, from the
// address the server listens on: http://localhost:<port>. Only sandbox
// mode, or a gateway on this machine, gets here without one.
func (c *config) resolveBaseURL(listening net.Addr) {
	if c.BaseURL != "" {
		return
	}
	port := "8080"
	if a, ok := listening.(*net.TCPAddr); ok {
		port = strconv.Itoa(a.Port)
	}
	c.BaseURL = "http://localhost:" + port
	c.raw["BASE_URL"] = c.BaseURL + " (from ADDR)"
}

// allowedTimeout: the value is sent both as timeout_rule (H5, desktop) and
// it_b_pay (app), so it must be valid for both.
func allowedTimeout(s string) bool {
	for _, r := range payment.TimeoutRules {
		if r == s {
			return true
		}
	}
	return false
}

// logValue lists the configuration for the start log: every variable by
// its lower-case name, secrets as whether they are set or generated.
func (c *config) logValue() []any {
	attrs := make([]any, 0, 2*len(settings)+2)
	for _, s := range settings {
		v := c.raw[s.env]
		switch {
		case s.redact && v != "":
			if u, err := url.Parse(v); err == nil {
				v = u.Redacted()
			} else {
				v = "(set, unparseable)"
			}
		case c.generated[s.env] != "":
			v = "(generated, in " + c.generated[s.env] + ")"
		case s.secret:
			switch {
			case v == "":
				v = "(unset)"
			default:
				v = "(set, " + strconv.Itoa(len(v)) + " chars)"
			}
		}
		attrs = append(attrs, strings.ToLower(s.env), v)
	}
	attrs = append(attrs, "mail", c.mailRoute())
	switch {
	case c.Gateway == gatewaySandbox:
		attrs = append(attrs, "mode", "sandbox (ALIPAY_GATEWAY=sandbox): "+c.BaseURL+"/sandbox/gateway.do")
	case c.Sandbox():
		attrs = append(attrs, "mode", "sandbox (no Alipay credential configured): "+c.BaseURL+"/sandbox/gateway.do")
	default:
		attrs = append(attrs, "mode", "live: "+c.Gateway)
	}
	return attrs
}

// mailRoute says, for the start log, where order e-mails go: the SMTP
// server (without the password), or nowhere but the log and the sandbox's
// mailbox.
func (c *config) mailRoute() string {
	if c.SMTPURL != "" {
		if s, err := mail.NewSMTP(mail.SMTPConfig{URL: c.SMTPURL}); err == nil {
			return "SMTP " + s.String()
		}
		return "SMTP (SMTP_URL unparseable)"
	}
	if c.Sandbox() {
		return "not sent (SMTP_URL unset): logged, and left in the sandbox mailbox at " + c.BaseURL + "/sandbox/mail"
	}
	return "not sent (SMTP_URL unset): logged only, shoppers get no e-mail"
}
