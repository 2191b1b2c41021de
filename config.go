package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"shop/payment"
)

// sandboxPartner is the PID of Alipay's public cross-border sandbox, used by
// the local sandbox when ALIPAY_PARTNER is unset.
const sandboxPartner = "2088101122136241"

// config is the shop's configuration (architecture §3.3): environment
// variables, mirrored by a few flags.
type config struct {
	Addr          string
	BaseURL       string
	DBPath        string
	AdminPassword string
	SessionKey    string

	Gateway        string // empty: sandbox mode
	Partner        string
	SignType       payment.SignType
	MD5Key         string
	PrivateKeyFile string
	PublicKeyFile  string
	Currency       payment.Currency
	NotifyVerify   bool
	Timeout        string

	TimeScale float64 // SANDBOX_TIME_SCALE
	LogLevel  string
}

// Sandbox reports whether the shop runs against its own local gateway.
func (c *config) Sandbox() bool { return c.Gateway == "" }

// KeyDir is where generated keys live: beside the database.
func (c *config) KeyDir() string { return c.DBPath + ".keys" }

// loadConfig reads the environment, then flags, and validates everything
// that can be checked without touching files.
func loadConfig(args []string, getenv func(string) string, out io.Writer) (*config, error) {
	env := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := &config{
		Addr: env("ADDR", ":8080"), BaseURL: env("BASE_URL", "http://localhost:8080"), DBPath: env("DB_PATH", "shop.db"),
		AdminPassword: getenv("ADMIN_PASSWORD"), SessionKey: getenv("SESSION_KEY"), Gateway: env("ALIPAY_GATEWAY", ""),
		Partner: env("ALIPAY_PARTNER", ""), SignType: payment.SignType(env("ALIPAY_SIGN_TYPE", "RSA2")),
		MD5Key: getenv("ALIPAY_MD5_KEY"), PrivateKeyFile: env("ALIPAY_PRIVATE_KEY_FILE", ""),
		PublicKeyFile: env("ALIPAY_PUBLIC_KEY_FILE", ""), Currency: payment.Currency(env("ALIPAY_CURRENCY", "USD")),
		Timeout: env("ALIPAY_TIMEOUT", "30m"), LogLevel: env("LOG_LEVEL", "info"),
	}
	fs := flag.NewFlagSet("shop serve", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (ADDR)")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public base URL (BASE_URL)")
	fs.StringVar(&c.DBPath, "db", c.DBPath, "SQLite file (DB_PATH)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.NotifyVerify, err = strconv.ParseBool(env("ALIPAY_NOTIFY_VERIFY", "true")); err != nil {
		return nil, fmt.Errorf("ALIPAY_NOTIFY_VERIFY must be true or false")
	}
	if c.TimeScale, err = strconv.ParseFloat(env("SANDBOX_TIME_SCALE", "1"), 64); err != nil || c.TimeScale <= 0 || c.TimeScale > 1e7 {
		return nil, fmt.Errorf("SANDBOX_TIME_SCALE must be a positive number")
	}
	return c, c.validate()
}

func (c *config) validate() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("BASE_URL %q must be a scheme and host, like https://shop.example.com", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.DBPath == "" {
		return fmt.Errorf("DB_PATH must not be empty")
	}
	c.DBPath = filepath.Clean(c.DBPath)
	if _, err := payment.ParseSignType(string(c.SignType)); err != nil {
		return fmt.Errorf("ALIPAY_SIGN_TYPE: %w", err)
	}
	if !c.Currency.Valid() || c.Currency == payment.CNY {
		return fmt.Errorf("ALIPAY_CURRENCY %q is not a settlement currency Alipay accepts", c.Currency)
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
		if c.Partner == "" {
			c.Partner = sandboxPartner
		}
		return nil
	}
	// Talking to the real Alipay: every credential must be given.
	if c.Partner == "" {
		return fmt.Errorf("ALIPAY_PARTNER is required with ALIPAY_GATEWAY")
	}
	if c.SignType == payment.MD5 && c.MD5Key == "" {
		return fmt.Errorf("ALIPAY_SIGN_TYPE=MD5 needs ALIPAY_MD5_KEY")
	}
	if c.SignType != payment.MD5 && (c.PrivateKeyFile == "" || c.PublicKeyFile == "") {
		return fmt.Errorf("ALIPAY_SIGN_TYPE=%s needs ALIPAY_PRIVATE_KEY_FILE and ALIPAY_PUBLIC_KEY_FILE", c.SignType)
	}
	if !strings.HasPrefix(c.BaseURL, "https://") {
		return fmt.Errorf("BASE_URL must be https:// when talking to the real Alipay (it is where notify_url points)")
	}
	return nil
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

// logValue lists the configuration with secrets masked, for the start log.
func (c *config) logValue() []any {
	mask := func(s string) string {
		if s == "" {
			return "(unset)"
		}
		return "(set, " + strconv.Itoa(len(s)) + " chars)"
	}
	gateway := c.Gateway
	if c.Sandbox() {
		gateway = "(sandbox) " + c.BaseURL + "/sandbox/gateway.do"
	}
	return []any{"addr", c.Addr, "base_url", c.BaseURL, "db", c.DBPath, "gateway", gateway, "partner", c.Partner,
		"sign_type", c.SignType, "currency", c.Currency, "timeout", c.Timeout, "notify_verify", c.NotifyVerify,
		"md5_key", mask(c.MD5Key), "private_key_file", c.PrivateKeyFile, "public_key_file", c.PublicKeyFile,
		"session_key", mask(c.SessionKey), "admin_password", mask(c.AdminPassword), "sandbox_time_scale", c.TimeScale}
}
