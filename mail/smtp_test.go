package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSMTP is an SMTP server on 127.0.0.1 that speaks just enough of the
// protocol for net/smtp's client: EHLO, STARTTLS, AUTH PLAIN and LOGIN,
// MAIL, RCPT, DATA, QUIT. It records what each conversation did.
type fakeSMTP struct {
	addr       string
	tls        *tls.Config // the server's certificate
	implicit   bool        // TLS from the first byte (smtps)
	startTLS   bool        // offer STARTTLS
	auth       string      // the AUTH mechanisms offered, "" for none
	user, pass string
	rejectRcpt bool

	mu     sync.Mutex
	convos []*convo
}

// convo is one conversation as the server saw it.
type convo struct {
	commands []string // verbs, in order
	tlsAt    map[string]bool
	authed   string // the user who authenticated
	from, to string
	data     string
}

// testCert is a self-signed certificate for 127.0.0.1 and
// mail.example.com, and a pool that trusts it.
type testCert struct {
	cert tls.Certificate
	pool *x509.CertPool
}

func newTestCert(t *testing.T) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"mail.example.com"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return testCert{cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool: pool}
}

// start listens on 127.0.0.1 and serves until the test ends.
func (f *fakeSMTP) start(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f.addr = ln.Addr().String()
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { f.serve(conn) })
		}
	})
	return f
}

func (f *fakeSMTP) serve(conn net.Conn) {
	defer conn.Close()
	c := &convo{tlsAt: map[string]bool{}}
	f.mu.Lock()
	f.convos = append(f.convos, c)
	f.mu.Unlock()
	record := func(f2 func()) { f.mu.Lock(); defer f.mu.Unlock(); f2() }

	secure := false
	if f.implicit {
		conn, secure = tls.Server(conn, f.tls), true
	}
	tp := textproto.NewConn(conn)
	reply := func(lines ...string) {
		for _, l := range lines {
			_ = tp.PrintfLine("%s", l)
		}
	}
	reply("220 fake.example ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		record(func() { c.commands = append(c.commands, verb); c.tlsAt[verb] = secure })
		switch verb {
		case "EHLO":
			ext := []string{"250-fake.example"}
			if f.startTLS && !secure {
				ext = append(ext, "250-STARTTLS")
			}
			if f.auth != "" {
				ext = append(ext, "250-AUTH "+f.auth)
			}
			reply(append(ext, "250 8BITMIME")...)
		case "STARTTLS":
			reply("220 go ahead")
			tc := tls.Server(conn, f.tls)
			if tc.Handshake() != nil {
				return
			}
			conn, secure, tp = tc, true, textproto.NewConn(tc)
		case "AUTH":
			user, pass, ok := f.readAuth(tp, arg)
			if !ok {
				reply("535 5.7.8 authentication failed")
				continue
			}
			record(func() { c.authed = user })
			_ = pass
			reply("235 2.7.0 authenticated")
		case "MAIL":
			record(func() { c.from = arg })
			reply("250 ok")
		case "RCPT":
			if f.rejectRcpt {
				reply("550 5.1.1 no such user")
				continue
			}
			record(func() { c.to = arg })
			reply("250 ok")
		case "DATA":
			reply("354 go ahead")
			b, err := io.ReadAll(tp.DotReader())
			if err != nil {
				return
			}
			record(func() { c.data = string(b) })
			reply("250 queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

// readAuth reads an AUTH exchange and reports whether the credentials
// are the configured ones.
func (f *fakeSMTP) readAuth(tp *textproto.Conn, arg string) (user, pass string, ok bool) {
	mech, initial, _ := strings.Cut(arg, " ")
	decode := func(s string) string {
		b, _ := base64.StdEncoding.DecodeString(s)
		return string(b)
	}
	ask := func(prompt string) string {
		_ = tp.PrintfLine("334 %s", base64.StdEncoding.EncodeToString([]byte(prompt)))
		l, _ := tp.ReadLine()
		return decode(l)
	}
	switch strings.ToUpper(mech) {
	case "PLAIN":
		parts := strings.Split(decode(initial), "\x00")
		if len(parts) != 3 {
			return "", "", false
		}
		user, pass = parts[1], parts[2]
	case "LOGIN":
		user, pass = ask("Username:"), ask("Password:")
	default:
		return "", "", false
	}
	return user, pass, user == f.user && pass == f.pass
}

func (f *fakeSMTP) conversations() []convo {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]convo, len(f.convos))
	for i, c := range f.convos {
		out[i] = *c
	}
	return out
}

func testMessage(t *testing.T) *Message {
	t.Helper()
	m, err := newTestRenderer(t).Render(paidMail("zh"))
	require.NoError(t, err)
	return m
}

// TestSMTP sends through a fake server: STARTTLS before the password,
// implicit TLS, LOGIN when PLAIN is not offered, plain text on loopback
// only, and the failures a sender must tell apart.
func TestSMTP(t *testing.T) {
	cert := newTestCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert.cert}}
	trusting := &tls.Config{RootCAs: cert.pool}
	tests := []struct {
		name   string
		server *fakeSMTP
		url    string // %s is the server's address
		remote bool   // the URL names mail.example.com, dialled at the fake server
		tls    *tls.Config
		// want: "" for a message delivered, else a part of the error
		want      string
		permanent bool
		wantTLS   bool     // the password and the message went over TLS
		never     []string // commands the server must not have seen
	}{
		{name: "STARTTLS, then AUTH PLAIN", server: &fakeSMTP{startTLS: true, auth: "PLAIN LOGIN", user: "shop", pass: "p@ss/w0rd"},
			url: "smtp://shop:p%40ss%2Fw0rd@mail.example.com:587", remote: true, tls: trusting, wantTLS: true},
		{name: "implicit TLS", server: &fakeSMTP{implicit: true, auth: "PLAIN", user: "shop", pass: "secret"},
			url: "smtps://shop:secret@%s", tls: trusting, wantTLS: true},
		{name: "AUTH LOGIN when PLAIN is not offered", server: &fakeSMTP{startTLS: true, auth: "LOGIN", user: "shop", pass: "secret"},
			url: "smtp://shop:secret@mail.example.com", remote: true, tls: trusting, wantTLS: true},
		{name: "no password, no AUTH", server: &fakeSMTP{startTLS: true},
			url: "smtp://mail.example.com:25", remote: true, tls: trusting, wantTLS: true, never: []string{"AUTH"}},
		{name: "loopback without TLS", server: &fakeSMTP{auth: "PLAIN", user: "shop", pass: "secret"},
			url: "smtp://shop:secret@%s", tls: trusting},
		{name: "a remote server without STARTTLS is refused", server: &fakeSMTP{auth: "PLAIN", user: "shop", pass: "secret"},
			url: "smtp://shop:secret@mail.example.com", remote: true, tls: trusting,
			want: "does not offer STARTTLS", never: []string{"AUTH", "MAIL", "DATA"}},
		{name: "an untrusted certificate is refused", server: &fakeSMTP{startTLS: true, auth: "PLAIN", user: "shop", pass: "secret"},
			url: "smtp://shop:secret@mail.example.com", remote: true, tls: nil,
			want: "certificate", never: []string{"AUTH", "MAIL"}},
		{name: "wrong password", server: &fakeSMTP{startTLS: true, auth: "PLAIN", user: "shop", pass: "secret"},
			url: "smtp://shop:wrong@mail.example.com", remote: true, tls: trusting, want: "535", never: []string{"MAIL"}},
		{name: "recipient refused for good", server: &fakeSMTP{startTLS: true, rejectRcpt: true},
			url: "smtp://mail.example.com", remote: true, tls: trusting, want: "550", permanent: true, never: []string{"DATA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.server
			f.tls = serverTLS
			f.start(t)
			raw := strings.Replace(tt.url, "%s", f.addr, 1)
			s, err := NewSMTP(SMTPConfig{URL: raw, TLS: tt.tls, Timeout: 30 * time.Second})
			require.NoError(t, err)
			if tt.remote {
				var d net.Dialer
				s.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
					return d.DialContext(ctx, network, f.addr)
				}
			}
			m := testMessage(t)
			err = s.Send(context.Background(), m)
			convos := f.conversations()
			require.Len(t, convos, 1)
			c := convos[0]
			for _, cmd := range tt.never {
				assert.NotContains(t, c.commands, cmd)
			}
			if tt.want != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
				assert.Equal(t, tt.permanent, errors.Is(err, ErrPermanent), "permanent: %v", err)
				assert.NotContains(t, err.Error(), "secret", "no password in errors")
				return
			}
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(c.from, "FROM:<noreply@shop.example.com>"), c.from)
			assert.Equal(t, "TO:<li@example.com>", c.to)
			assert.Equal(t, tt.wantTLS, c.tlsAt["MAIL"], "message over TLS")
			if f.user != "" {
				assert.Equal(t, f.user, c.authed)
				assert.Equal(t, tt.wantTLS, c.tlsAt["AUTH"], "password over TLS")
			}
			got := readMessage(t, []byte(c.data))
			assert.Equal(t, m.Subject, got.subject)
			assert.Equal(t, m.Text, got.text)
			assert.Equal(t, m.HTML, got.html)
		})
	}
}

// TestSMTPStopsWithItsContext: a server that never answers does not hold
// the worker: cancelling the context ends the conversation.
func TestSMTPStopsWithItsContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c // and never say a word
		}
	}()
	s, err := NewSMTP(SMTPConfig{URL: "smtp://" + ln.Addr().String()})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, testMessage(t)) }()
	conn := <-accepted
	defer conn.Close()
	cancel()
	assert.Error(t, <-done)
}

func TestParseSMTPURL(t *testing.T) {
	for _, tt := range []struct{ raw, host string }{
		{"smtp://user:pw@mail.example.com:2525", "mail.example.com:2525"},
		{"smtp://user:pw@mail.example.com", "mail.example.com:587"},
		{"smtps://user:pw@mail.example.com", "mail.example.com:465"},
		{"smtp://127.0.0.1:1025", "127.0.0.1:1025"},
		{"smtp://user:p%2Fw%23d@[::1]:25", "[::1]:25"},
	} {
		u, err := ParseSMTPURL(tt.raw)
		if assert.NoError(t, err, tt.raw) {
			assert.Equal(t, tt.host, u.Host)
		}
	}
	for _, raw := range []string{
		"mail.example.com:587", "http://user:pw@mail.example.com", "smtp://", "smtp://user:s3cret@",
		"smtp://user:12/s3cret@mail.example.com", "smtp://user:s3cret?x@mail.example.com", "smtp://user:s3#cret@mail.example.com",
		"smtp://user@mail.example.com", "smtp://:s3cret@mail.example.com",
	} {
		_, err := ParseSMTPURL(raw)
		if assert.Error(t, err, raw) {
			assert.NotContains(t, err.Error(), "s3cret", "the password never shows")
		}
	}
	s, err := NewSMTP(SMTPConfig{URL: "smtp://shop:s3cret@mail.example.com"})
	require.NoError(t, err)
	assert.Equal(t, "smtp://shop@mail.example.com:587 (STARTTLS required)", s.String())
	s, err = NewSMTP(SMTPConfig{URL: "smtps://shop:s3cret@mail.example.com"})
	require.NoError(t, err)
	assert.Equal(t, "smtps://shop@mail.example.com:465 (TLS)", s.String())
}
