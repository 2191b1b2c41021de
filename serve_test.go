package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
			"ALIPAY_PARTNER": "2088101122136241", "ALIPAY_SIGN_TYPE": "MD5"}, "ALIPAY_MD5_KEY"},
		{"RSA2 without key files", map[string]string{"ALIPAY_GATEWAY": "https://intlmapi.alipay.com/gateway.do", "BASE_URL": "https://shop.example.com",
			"ALIPAY_PARTNER": "2088101122136241"}, "ALIPAY_PRIVATE_KEY_FILE"},
		{"real Alipay over http", map[string]string{"ALIPAY_GATEWAY": "https://intlmapi.alipay.com/gateway.do", "BASE_URL": "http://shop.example.com",
			"ALIPAY_PARTNER": "2088101122136241", "ALIPAY_SIGN_TYPE": "MD5", "ALIPAY_MD5_KEY": "760bdzec6y9goq7ctyx96ezkz78287de"}, "https://"},
		{"base URL with a path", map[string]string{"BASE_URL": "http://localhost:8080/shop"}, "BASE_URL"},
		{"CNY is not a settlement currency", map[string]string{"ALIPAY_CURRENCY": "CNY"}, "ALIPAY_CURRENCY"},
		{"unknown currency", map[string]string{"ALIPAY_CURRENCY": "XYZ"}, "ALIPAY_CURRENCY"},
		{"timeout not allowed", map[string]string{"ALIPAY_TIMEOUT": "7m"}, "ALIPAY_TIMEOUT"},
		{"notify verify not a bool", map[string]string{"ALIPAY_NOTIFY_VERIFY": "maybe"}, "ALIPAY_NOTIFY_VERIFY"},
		{"time scale", map[string]string{"SANDBOX_TIME_SCALE": "0"}, "SANDBOX_TIME_SCALE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(nil, func(k string) string { return tt.env[k] }, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestStartRefusesBadKeys: a key file that cannot be used stops the start
// with a message that says why, before anything listens.
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
			env := map[string]string{"ADDR": "127.0.0.1:0", "DB_PATH": filepath.Join(t.TempDir(), "shop.db")}
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

// TestServeStartsAndStopsGracefully runs the real serve on a loopback port:
// it answers /healthz, generates its keys beside the database (owner-only),
// logs its configuration with secrets masked, and returns nil when its
// context is cancelled.
func TestServeStartsAndStopsGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	db := filepath.Join(t.TempDir(), "shop.db")
	const secret = "760bdzec6y9goq7ctyx96ezkz78287de"
	env := map[string]string{"ADDR": addr, "BASE_URL": "http://" + addr, "DB_PATH": db, "ALIPAY_MD5_KEY": secret, "ADMIN_PASSWORD": "hunter2-hunter2"}

	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &out)
	}()
	require.Eventually(t, func() bool {
		res, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond)

	for _, f := range []string{"merchant_private_key.pem", "sandbox_alipay_private_key.pem", "session_key"} {
		fi, err := os.Stat(filepath.Join(db+".keys", f))
		require.NoError(t, err, f)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), f)
	}
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	log := out.String()
	assert.Contains(t, log, "md5_key=\"(set, 32 chars)\"")
	assert.NotContains(t, log, secret)
	assert.NotContains(t, log, "hunter2")
	assert.Contains(t, log, "stopped")
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
