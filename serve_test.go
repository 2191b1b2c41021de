package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"lowercase sign type", map[string]string{"ALIPAY_SIGN_TYPE": "rsa2"}, "ALIPAY_SIGN_TYPE"},
		{"unknown sign type", map[string]string{"ALIPAY_SIGN_TYPE": "DSA"}, "ALIPAY_SIGN_TYPE"},
		{"gateway without partner", map[string]string{"ALIPAY_GATEWAY": "https://intlmapi.alipay.com/gateway.do", "BASE_URL": "https://shop.example.com"}, "ALIPAY_PARTNER"},
		{"MD5 without key", map[string]string{"ALIPAY_GATEWAY": "https://intlmapi.alipay.com/gateway.do", "BASE_URL": "https://shop.example.com",
			"ALIPAY_PARTNER": "2088123456789012", "ALIPAY_SIGN_TYPE": "MD5"}, "ALIPAY_MD5_KEY"},
		{"RSA2 without key files", map[string]string{"ALIPAY_GATEWAY": "https://intlmapi.alipay.com/gateway.do", "BASE_URL": "https://shop.example.com",
			"ALIPAY_PARTNER": "2088123456789012"}, "ALIPAY_PRIVATE_KEY_FILE"},
		{"real Alipay over http", map[string]string{"ALIPAY_GATEWAY": "https://intlmapi.alipay.com/gateway.do", "BASE_URL": "http://shop.example.com",
			"ALIPAY_PARTNER": "2088123456789012", "ALIPAY_SIGN_TYPE": "MD5", "ALIPAY_MD5_KEY": "q8x1t0d2k9w7e3r4t5y6u7i8o9p0a1s2"}, "https://"},
		{"base URL with a path", map[string]string{"BASE_URL": "http://localhost:8080/shop"}, "BASE_URL"},
		{"CNY is not a settlement currency", map[string]string{"ALIPAY_CURRENCY": "CNY"}, "ALIPAY_CURRENCY"},
		{"unknown currency", map[string]string{"ALIPAY_CURRENCY": "XYZ"}, "ALIPAY_CURRENCY"},
		{"timeout not allowed", map[string]string{"ALIPAY_TIMEOUT": "7m"}, "ALIPAY_TIMEOUT"},
		{"notify verify not a bool", map[string]string{"ALIPAY_NOTIFY_VERIFY": "maybe"}, "ALIPAY_NOTIFY_VERIFY"},
		{"time scale", map[string]string{"SANDBOX_TIME_SCALE": "0"}, "SANDBOX_TIME_SCALE"},
		{"DATABASE_URL not PostgreSQL", map[string]string{"DATABASE_URL": "mysql://db/shop"}, "DATABASE_URL must be a PostgreSQL URL"},
		{"DATABASE_URL without SESSION_KEY", map[string]string{"DATABASE_URL": "postgres://shop@db/shop"}, "DATABASE_URL needs SESSION_KEY"},
		{"DATABASE_URL without a key file", map[string]string{"DATABASE_URL": "postgres://shop@db/shop", "SESSION_KEY": strings.Repeat("ab", 64)},
			"DATABASE_URL needs ALIPAY_PRIVATE_KEY_FILE"},
		{"instances", map[string]string{"INSTANCES": "0"}, "INSTANCES"},
		{"reconcile interval", map[string]string{"RECONCILE_INTERVAL": "10ms"}, "RECONCILE_INTERVAL"},
		{"trusted proxy not a CIDR", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"}, "TRUSTED_PROXIES"},
		{"address without a port", map[string]string{"ADDR": "localhost"}, "ADDR"},
		{"real Alipay without BASE_URL", map[string]string{"ALIPAY_GATEWAY": "https://intlmapi.alipay.com/gateway.do",
			"ALIPAY_PARTNER": "2088123456789012", "ALIPAY_SIGN_TYPE": "MD5", "ALIPAY_MD5_KEY": "q8x1t0d2k9w7e3r4t5y6u7i8o9p0a1s2"}, "BASE_URL is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(nil, func(k string) string { return tt.env[k] }, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// live is a complete, acceptable configuration for the real gateway;
// the tests below change one thing at a time.
func live() map[string]string {
	return map[string]string{"ALIPAY_GATEWAY": "https://intlmapi.alipay.com/gateway.do", "BASE_URL": "https://shop.example.com",
		"ALIPAY_PARTNER": "2088123456789012", "ALIPAY_SIGN_TYPE": "MD5", "ALIPAY_MD5_KEY": "q8x1t0d2k9w7e3r4t5y6u7i8o9p0a1s2"}
}

// TestStartRefusesWhatLosesMoney: each setting that could take or lose
// money stops the start, and the message says how to fix it.
func TestStartRefusesWhatLosesMoney(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		change map[string]string
		want   []string
	}{
		{"a credential without a gateway starts no sandbox", map[string]string{"ALIPAY_GATEWAY": ""},
			[]string{"ALIPAY_PARTNER, ALIPAY_MD5_KEY is set but ALIPAY_GATEWAY is not", "ALIPAY_GATEWAY=https://intlmapi.alipay.com/gateway.do", "ALIPAY_GATEWAY=sandbox"}},
		{"a key file alone without a gateway", map[string]string{"ALIPAY_GATEWAY": "", "ALIPAY_PARTNER": "", "ALIPAY_MD5_KEY": "", "ALIPAY_SIGN_TYPE": "RSA2",
			"ALIPAY_PRIVATE_KEY_FILE": "k.pem"}, []string{"ALIPAY_PRIVATE_KEY_FILE is set but ALIPAY_GATEWAY is not"}},
		{"http gateway on another host", map[string]string{"ALIPAY_GATEWAY": "http://intlmapi.alipay.com/gateway.do"},
			[]string{"ALIPAY_GATEWAY must be https://", "use https://intlmapi.alipay.com/gateway.do"}},
		{"not a URL", map[string]string{"ALIPAY_GATEWAY": "intlmapi.alipay.com"}, []string{"ALIPAY_GATEWAY", "must be a URL"}},
		{"the public sandbox PID", map[string]string{"ALIPAY_PARTNER": sandboxPartner}, []string{"public sandbox PID", "use the PID of your contract"}},
		{"the public sandbox MD5 key", map[string]string{"ALIPAY_MD5_KEY": sandboxMD5Key}, []string{"publicly documented sandbox key", "merchant portal"}},
		{"BASE_URL with a password", map[string]string{"BASE_URL": "https://admin:secret@shop.example.com"}, []string{"BASE_URL must not hold a user name or password"}},
		{"an all-zero SESSION_KEY", map[string]string{"SESSION_KEY": strings.Repeat("0", 128)}, []string{"SESSION_KEY is one repeated digit", "openssl rand -hex 64"}},
		{"DB_PATH is a directory", map[string]string{"DB_PATH": dir}, []string{"is a directory", "DB_PATH=" + filepath.Join(dir, "shop.db")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := live()
			for k, v := range tt.change {
				env[k] = v
			}
			_, err := loadConfig(nil, func(k string) string { return env[k] }, io.Discard)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// TestStartWarnsAboutWhatIsUnwise: settings that are allowed but unwise
// start, with a warning in the log that says how to fix them.
func TestStartWarnsAboutWhatIsUnwise(t *testing.T) {
	tests := []struct {
		name   string
		change map[string]string
		want   string // "" means no warning
	}{
		{"the recommended settings", nil, ""},
		{"MD5 without notify_verify", map[string]string{"ALIPAY_NOTIFY_VERIFY": "false"}, "set ALIPAY_NOTIFY_VERIFY=true, or better, use RSA2"},
		{"a gateway that is not Alipay's", map[string]string{"ALIPAY_GATEWAY": "https://pay.example.net/gateway.do"}, "pay.example.net is not an Alipay host"},
		{"Alipay's own sandbox with its public credentials", map[string]string{"ALIPAY_GATEWAY": "https://mapi.alipaydev.com/gateway.do",
			"ALIPAY_PARTNER": sandboxPartner, "ALIPAY_MD5_KEY": sandboxMD5Key}, ""},
		{"a local fake gateway over http", map[string]string{"ALIPAY_GATEWAY": "http://127.0.0.1:9999/gateway.do"}, ""},
		{"the sandbox chosen with the merchant's own key", map[string]string{"ALIPAY_GATEWAY": "sandbox", "BASE_URL": ""},
			"never use production keys in sandbox mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := live()
			for k, v := range tt.change {
				env[k] = v
			}
			c, err := loadConfig(nil, func(k string) string { return env[k] }, io.Discard)
			require.NoError(t, err)
			if tt.want == "" {
				assert.Empty(t, c.warnings)
				return
			}
			require.Len(t, c.warnings, 1)
			assert.Contains(t, c.warnings[0], tt.want)
		})
	}
	t.Run("the warning reaches the start log", func(t *testing.T) {
		env := map[string]string{"ADDR": "127.0.0.1:0", "DB_PATH": filepath.Join(t.TempDir(), "shop.db"),
			"ALIPAY_GATEWAY": "sandbox", "ALIPAY_SIGN_TYPE": "MD5", "ALIPAY_MD5_KEY": live()["ALIPAY_MD5_KEY"]}
		_, log, stop := startServe(t, env)
		require.NoError(t, stop())
		assert.Contains(t, log.String(), `level=WARN msg="unwise configuration: ALIPAY_GATEWAY=sandbox with your own credentials`)
		assert.Contains(t, log.String(), `mode="sandbox (ALIPAY_GATEWAY=sandbox)`)
	})
}

// TestStartRefusesBadKeys: a key file that cannot be used stops the start
// with a message that says why, before anything is served.
func TestStartRefusesBadKeys(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("not a key"), 0o600))
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"garbage private key", map[string]string{"ALIPAY_PRIVATE_KEY_FILE": garbage}, "ALIPAY_PRIVATE_KEY_FILE"},
		{"public key as private", map[string]string{"ALIPAY_PRIVATE_KEY_FILE": "payment/testdata/merchant_public_key.b64"}, "public key"},
		{"private key as Alipay's public", map[string]string{"ALIPAY_PUBLIC_KEY_FILE": "payment/testdata/merchant_private_key_pkcs8.b64"}, "private key"},
		{"missing file", map[string]string{"ALIPAY_PUBLIC_KEY_FILE": filepath.Join(dir, "nope")}, "no such file"},
		{"short MD5 key", map[string]string{"ALIPAY_SIGN_TYPE": "MD5", "ALIPAY_MD5_KEY": "short"}, "ALIPAY_MD5_KEY"},
		{"bad session key", map[string]string{"SESSION_KEY": "abcd"}, "SESSION_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"ADDR": "127.0.0.1:0", "DB_PATH": filepath.Join(t.TempDir(), "shop.db"), "ALIPAY_GATEWAY": "sandbox"}
			for k, v := range tt.env {
				env[k] = v
			}
			var out bytes.Buffer
			err := run(context.Background(), nil, func(k string) string { return env[k] }, strings.NewReader(""), &out)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// listeningRE finds the address serve reports once it listens.
var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+) url=(\S+)`)

// startServe runs the real serve in the background with env and returns
// the URL it reports, its log, and a function that stops it and returns
// its error.
func startServe(t *testing.T, env map[string]string) (base string, log *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log = &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), log)
	}()
	var m []string
	require.Eventually(t, func() bool {
		select {
		case err := <-done:
			require.NoError(t, err, "serve stopped early; log:\n%s", log.String())
		default:
		}
		m = listeningRE.FindStringSubmatch(log.String())
		return m != nil
	}, time.Minute, 10*time.Millisecond, "serve never listened; log:\n%s", log.String())
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			return errors.New("serve did not stop")
		}
	}
	t.Cleanup(func() { _ = stop() })
	return m[2], log, stop
}

// TestServeStartsAndStopsGracefully runs the real serve on a loopback port:
// it answers /healthz, generates its keys beside the database (owner-only),
// logs its configuration with secrets masked and generated ones named as
// such, and returns nil when its context is cancelled. With BASE_URL unset,
// the sandbox's URLs follow the port actually bound.
func TestServeStartsAndStopsGracefully(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shop.db")
	const secret = "760bdzec6y9goq7ctyx96ezkz78287de"
	env := map[string]string{"ADDR": "127.0.0.1:0", "DB_PATH": db, "ALIPAY_GATEWAY": "sandbox", "ALIPAY_MD5_KEY": secret, "ADMIN_PASSWORD": "hunter2-hunter2"}
	base, out, stop := startServe(t, env)

	m := listeningRE.FindStringSubmatch(out.String())
	_, port, err := net.SplitHostPort(m[1])
	require.NoError(t, err)
	assert.Equal(t, "http://localhost:"+port, base, "BASE_URL follows ADDR's port")

	client := newClient(t)
	res, err := client.Get("http://" + m[1] + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	// The pay URL points at this very port.
	res, err = client.Post("http://"+m[1]+"/api/orders", "application/json",
		strings.NewReader(`{"items":[{"product_id":1,"quantity":1}],"channel":"web"}`))
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode, string(body))
	assert.Contains(t, string(body), `"pay_url":"http://localhost:`+port+`/sandbox/gateway.do?`)

	for _, f := range []string{"merchant_private_key.pem", "sandbox_alipay_private_key.pem", "session_key"} {
		fi, err := os.Stat(filepath.Join(db+".keys", f))
		require.NoError(t, err, f)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), f)
	}
	require.NoError(t, stop())
	log := out.String()
	assert.Contains(t, log, `alipay_md5_key="(set, 32 chars)"`)
	assert.Contains(t, log, `session_key="(generated, in `+filepath.Join(db+".keys", "session_key")+`)"`)
	assert.Contains(t, log, `admin_password="(set, 15 chars)"`)
	assert.NotContains(t, log, secret)
	assert.NotContains(t, log, "hunter2")
	assert.Contains(t, log, "stopped")
}

// TestStartRefusesAnotherCurrency: a database whose catalog is priced in
// one currency does not start with another ALIPAY_CURRENCY (every checkout
// would fail), and the message says how to fix it.
func TestStartRefusesAnotherCurrency(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shop.db")
	_, _, stop := startServe(t, map[string]string{"ADDR": "127.0.0.1:0", "DB_PATH": db})
	require.NoError(t, stop())

	env := map[string]string{"ADDR": "127.0.0.1:0", "DB_PATH": db, "ALIPAY_CURRENCY": "EUR"}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the catalog is priced in USD, not EUR")
	assert.Contains(t, err.Error(), "Set ALIPAY_CURRENCY=USD")

	env["ALIPAY_CURRENCY"] = "USD"
	_, _, stop = startServe(t, env)
	assert.NoError(t, stop(), "the same database starts again with its own currency")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDatabaseURLPasswordNeverLogged: the start log shows DATABASE_URL
// without its password.
func TestDatabaseURLPasswordNeverLogged(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://shop:s3cret-pw@db.internal:5432/shop", "SESSION_KEY": strings.Repeat("ab", 64),
		"ALIPAY_GATEWAY": "sandbox", "ALIPAY_PRIVATE_KEY_FILE": "k.pem"}
	c, err := loadConfig(nil, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	var b bytes.Buffer
	newLogger(&b, "info").Info("starting", c.logValue()...)
	assert.Contains(t, b.String(), "database_url=postgres://shop:xxxxx@db.internal:5432/shop")
	assert.NotContains(t, b.String(), "s3cret")
}
