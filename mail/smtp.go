package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"
)

// SMTPConfig configures an SMTP sender.
type SMTPConfig struct {
	// URL is SMTP_URL: smtp://user:password@host:587 speaks STARTTLS,
	// which is required; smtps://user:password@host:465 speaks TLS from the
	// first byte. The user and password are optional (a relay that knows
	// the shop by its address). Only a server on this machine (loopback)
	// may be talked to without TLS.
	URL string
	// TLS is the TLS configuration; nil verifies the server against the
	// system's roots. The server name is set from the URL when empty.
	TLS *tls.Config
	// Timeout bounds one whole conversation; 0 means one minute.
	Timeout time.Duration
	// LocalName is the name given in EHLO; "" means "localhost".
	LocalName string
}

// SMTP sends messages through an SMTP server, one connection per message.
type SMTP struct {
	url       *url.URL // the password removed from it: see String
	host      string
	addr      string // host:port
	implicit  bool   // smtps: TLS from the start
	user      string
	password  string
	tls       *tls.Config
	timeout   time.Duration
	localName string
	// dial opens the connection; tests point it elsewhere.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// ParseSMTPURL checks an SMTP_URL. Its errors never repeat the URL, which
// holds a password.
func ParseSMTPURL(raw string) (*url.URL, error) {
	const want = "SMTP_URL must look like smtp://user:password@mail.example.com:587 (STARTTLS) " +
		"or smtps://user:password@mail.example.com:465 (TLS), with special characters in the password percent-encoded"
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" || u.Opaque != "" {
		return nil, errors.New(want)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		// Most likely a '/', '?' or '#' in the password, not encoded.
		return nil, errors.New(want)
	}
	if u.Port() == "" {
		port := "587"
		if u.Scheme == "smtps" {
			port = "465"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); !ok || pw == "" || u.User.Username() == "" {
			return nil, errors.New("SMTP_URL has a user without a password, or a password without a user: give both, or neither")
		}
	}
	return u, nil
}

// NewSMTP returns an SMTP sender for cfg.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	u, err := ParseSMTPURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	s := &SMTP{host: u.Hostname(), addr: u.Host, implicit: u.Scheme == "smtps", timeout: cfg.Timeout, localName: cfg.LocalName}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
		u.User = url.User(s.user)
	}
	s.url = u
	if s.timeout == 0 {
		s.timeout = time.Minute
	}
	if s.localName == "" {
		s.localName = "localhost"
	}
	if cfg.TLS != nil {
		s.tls = cfg.TLS.Clone()
	} else {
		s.tls = &tls.Config{}
	}
	if s.tls.ServerName == "" {
		s.tls.ServerName = s.host
	}
	s.tls.MinVersion = max(s.tls.MinVersion, tls.VersionTLS12)
	var d net.Dialer
	s.dial = d.DialContext
	return s, nil
}

// String describes where mail goes, without the password.
func (s *SMTP) String() string {
	how := "STARTTLS required"
	switch {
	case s.implicit:
		how = "TLS"
	case isLoopback(s.host):
		how = "STARTTLS when offered (loopback)"
	}
	return s.url.String() + " (" + how + ")"
}

// Send sends m in one conversation: EHLO, STARTTLS (unless the connection
// is TLS already), AUTH if a user is configured, MAIL, RCPT, DATA. A
// recipient the server refuses for good (a 5xx answer to RCPT) is
// ErrPermanent.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	data, err := m.Bytes(time.Now())
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrPermanent)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	conn, err := s.dial(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("smtp: connect to %s: %w", s.addr, err)
	}
	// The deadline bounds every read and write; cancelling ctx closes the
	// connection, which ends a conversation stuck anywhere.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if s.implicit {
		conn = tls.Client(conn, s.tls)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %s: %w", s.addr, err)
	}
	defer c.Close()
	if err := s.converse(c, m, data); err != nil {
		return fmt.Errorf("smtp: %s: %w", s.addr, err)
	}
	return nil
}

func (s *SMTP) converse(c *smtp.Client, m *Message, data []byte) error {
	if err := c.Hello(s.localName); err != nil {
		return err
	}
	if !s.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tls); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
		} else if !isLoopback(s.host) {
			return errors.New("the server does not offer STARTTLS: refusing to send the password and the message in clear")
		}
	}
	if s.user != "" {
		if err := c.Auth(s.auth()); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(m.From.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 {
			return fmt.Errorf("RCPT TO: %w: %w", err, ErrPermanent)
		}
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	return c.Quit()
}

// auth returns the authentication for the configured user.
func (s *SMTP) auth() smtp.Auth {
	return &loginAuth{user: s.user, password: s.password, clearOK: isLoopback(s.host)}
}

// loginAuth authenticates with PLAIN, or LOGIN when the server offers only
// that, and never over a connection without TLS except on loopback.
type loginAuth struct {
	user, password string
	clearOK        bool
	mech           string
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.clearOK {
		return "", nil, errors.New("refusing to send the password over a connection without TLS")
	}
	switch {
	case slices.Contains(server.Auth, "PLAIN") || !slices.Contains(server.Auth, "LOGIN"):
		a.mech = "PLAIN"
		return "PLAIN", []byte("\x00" + a.user + "\x00" + a.password), nil
	default:
		a.mech = "LOGIN"
		return "LOGIN", nil, nil
	}
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	if a.mech != "LOGIN" {
		return nil, fmt.Errorf("unexpected server challenge %q", fromServer)
	}
	switch prompt := strings.ToLower(string(fromServer)); {
	case strings.HasPrefix(prompt, "username"):
		return []byte(a.user), nil
	case strings.HasPrefix(prompt, "password"):
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", fromServer)
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
