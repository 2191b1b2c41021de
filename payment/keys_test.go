package payment

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	coreAlipayKeyOnce sync.Once
	coreAlipayKeyVal  *rsa.PrivateKey
	coreAlipayKeyErr  error
)

// coreAlipayKey is a 1024-bit key pair generated once per test binary. It
// plays Alipay's key: it signs notifications and its public half is the
// client's AlipayPublicKey (the sandbox key in testdata is the merchant's).
func coreAlipayKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	coreAlipayKeyOnce.Do(func() { coreAlipayKeyVal, coreAlipayKeyErr = rsa.GenerateKey(rand.Reader, 1024) })
	require.NoError(t, coreAlipayKeyErr)
	return coreAlipayKeyVal
}

// coreSmallRSAKey builds a 512-bit RSA key by hand: crypto/rsa refuses to
// generate keys under 1024 bits, but old tools still hand them out.
func coreSmallRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	one := big.NewInt(1)
	for {
		p, err := rand.Prime(rand.Reader, 256)
		require.NoError(t, err)
		q, err := rand.Prime(rand.Reader, 256)
		require.NoError(t, err)
		n := new(big.Int).Mul(p, q)
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		d := new(big.Int).ModInverse(big.NewInt(65537), phi)
		if p.Cmp(q) == 0 || d == nil || n.BitLen() != 512 {
			continue
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}, D: d, Primes: []*big.Int{p, q}}
		k.Precompute()
		return k
	}
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func b64Of(der []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(der)) }

// wrapped breaks base64 text into lines of n characters, as key files often are.
func wrapped(b []byte, n int, eol string) []byte {
	var out strings.Builder
	for len(b) > n {
		out.Write(b[:n])
		out.WriteString(eol)
		b = b[n:]
	}
	out.Write(b)
	out.WriteString(eol)
	return []byte(out.String())
}

func TestParsePrivateKey(t *testing.T) {
	key := coreAlipayKey(t)
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	p1 := x509.MarshalPKCS1PrivateKey(key)
	sandbox, err := os.ReadFile("testdata/merchant_private_key_pkcs8.b64")
	require.NoError(t, err)
	sandboxKey, err := ParsePrivateKey(sandbox)
	require.NoError(t, err)

	tests := []struct {
		name string
		data []byte
		want *rsa.PrivateKey
	}{
		{"PEM PKCS#8", pemOf("PRIVATE KEY", p8), key},
		{"PEM PKCS#1", pemOf("RSA PRIVATE KEY", p1), key},
		{"PEM with CRLF and surrounding blank lines", []byte("\r\n" + strings.ReplaceAll(string(pemOf("PRIVATE KEY", p8)), "\n", "\r\n") + "\r\n"), key},
		{"bare base64 PKCS#8 one line", b64Of(p8), key},
		{"bare base64 PKCS#8 with line breaks", wrapped(b64Of(p8), 64, "\n"), key},
		{"bare base64 PKCS#8 with CRLF line breaks", wrapped(b64Of(p8), 76, "\r\n"), key},
		{"bare base64 PKCS#1 one line", b64Of(p1), key},
		{"bare base64 PKCS#1 with line breaks", wrapped(b64Of(p1), 64, "\n"), key},
		{"sandbox key file", sandbox, sandboxKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePrivateKey(tt.data)
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "loaded key differs from the original")
		})
	}
	assert.Equal(t, 1024, sandboxKey.N.BitLen())
}

func TestParsePublicKey(t *testing.T) {
	key := coreAlipayKey(t)
	pkix, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	pkcs1 := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	sandboxPub, err := os.ReadFile("testdata/merchant_public_key.b64")
	require.NoError(t, err)
	sandboxPriv, err := os.ReadFile("testdata/merchant_private_key_pkcs8.b64")
	require.NoError(t, err)
	sandboxKey, err := ParsePrivateKey(sandboxPriv)
	require.NoError(t, err)

	tests := []struct {
		name string
		data []byte
		want *rsa.PublicKey
	}{
		{"PEM PUBLIC KEY", pemOf("PUBLIC KEY", pkix), &key.PublicKey},
		{"PEM RSA PUBLIC KEY (PKCS#1)", pemOf("RSA PUBLIC KEY", pkcs1), &key.PublicKey},
		{"bare base64 one line", b64Of(pkix), &key.PublicKey},
		{"bare base64 with line breaks", wrapped(b64Of(pkix), 64, "\n"), &key.PublicKey},
		{"bare base64 with spaces around", []byte("  " + string(b64Of(pkix)) + " \n"), &key.PublicKey},
		{"sandbox public key file matches the sandbox private key", sandboxPub, &sandboxKey.PublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKey(tt.data)
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "loaded key differs from the original")
		})
	}
}

// coreBadKeys generates one of every kind of key material that is not what
// ParsePrivateKey or ParsePublicKey wants.
type coreBadKeys struct {
	rsaPKCS8, rsaPKCS1, rsaPKIX, rsaPKCS1Pub []byte
	ecPKCS8, ecSEC1, ecPKIX                  []byte
	edPKCS8, edPKIX                          []byte
	smallPKCS8, smallPKCS1, smallPKIX        []byte
	certDER                                  []byte
}

func newCoreBadKeys(t *testing.T) coreBadKeys {
	t.Helper()
	var k coreBadKeys
	var err error
	rk := coreAlipayKey(t)
	k.rsaPKCS8, err = x509.MarshalPKCS8PrivateKey(rk)
	require.NoError(t, err)
	k.rsaPKCS1 = x509.MarshalPKCS1PrivateKey(rk)
	k.rsaPKIX, err = x509.MarshalPKIXPublicKey(&rk.PublicKey)
	require.NoError(t, err)
	k.rsaPKCS1Pub = x509.MarshalPKCS1PublicKey(&rk.PublicKey)

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	k.ecPKCS8, err = x509.MarshalPKCS8PrivateKey(ec)
	require.NoError(t, err)
	k.ecSEC1, err = x509.MarshalECPrivateKey(ec)
	require.NoError(t, err)
	k.ecPKIX, err = x509.MarshalPKIXPublicKey(&ec.PublicKey)
	require.NoError(t, err)

	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	k.edPKCS8, err = x509.MarshalPKCS8PrivateKey(edPriv)
	require.NoError(t, err)
	k.edPKIX, err = x509.MarshalPKIXPublicKey(edPub)
	require.NoError(t, err)

	small := coreSmallRSAKey(t)
	k.smallPKCS8, err = x509.MarshalPKCS8PrivateKey(small)
	require.NoError(t, err)
	k.smallPKCS1 = x509.MarshalPKCS1PrivateKey(small)
	k.smallPKIX, err = x509.MarshalPKIXPublicKey(&small.PublicKey)
	require.NoError(t, err)

	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	k.certDER, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rk.PublicKey, rk)
	require.NoError(t, err)
	return k
}

func TestParsePrivateKeyErrors(t *testing.T) {
	k := newCoreBadKeys(t)
	tests := []struct {
		name string
		data []byte
		says string // the error must say this
	}{
		{"public key PEM", pemOf("PUBLIC KEY", k.rsaPKIX), "public key"},
		{"PKCS#1 public key PEM", pemOf("RSA PUBLIC KEY", k.rsaPKCS1Pub), "public key"},
		{"public key bare base64", b64Of(k.rsaPKIX), "public key"},
		{"ECDSA PKCS#8 PEM", pemOf("PRIVATE KEY", k.ecPKCS8), "ECDSA"},
		{"ECDSA PKCS#8 bare base64", b64Of(k.ecPKCS8), "ECDSA"},
		{"ECDSA SEC1 PEM", pemOf("EC PRIVATE KEY", k.ecSEC1), "EC"},
		{"Ed25519 PKCS#8 PEM", pemOf("PRIVATE KEY", k.edPKCS8), "Ed25519"},
		{"512-bit RSA PKCS#8", pemOf("PRIVATE KEY", k.smallPKCS8), "512 bits"},
		{"512-bit RSA PKCS#1 bare base64", b64Of(k.smallPKCS1), "512 bits"},
		{"certificate PEM", pemOf("CERTIFICATE", k.certDER), "certificate"},
		{"garbage text", []byte("this is not a key!"), "neither PEM nor base64"},
		{"base64 of garbage", []byte("aGVsbG8gd29ybGQ="), "not a PKCS #8 or PKCS #1 private key"},
		{"malformed PEM", []byte("-----BEGIN PRIVATE KEY-----\nnot base64\n"), "malformed PEM"},
		{"empty", nil, "empty"},
		{"only whitespace", []byte(" \n\t\r\n"), "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePrivateKey(tt.data)
			assert.Nil(t, got)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrKey)
			assert.Contains(t, err.Error(), tt.says)
		})
	}
}

func TestParsePublicKeyErrors(t *testing.T) {
	k := newCoreBadKeys(t)
	tests := []struct {
		name string
		data []byte
		says string
	}{
		{"PKCS#8 private key PEM", pemOf("PRIVATE KEY", k.rsaPKCS8), "private key"},
		{"PKCS#1 private key PEM", pemOf("RSA PRIVATE KEY", k.rsaPKCS1), "private key"},
		{"PKCS#8 private key bare base64", b64Of(k.rsaPKCS8), "private key"},
		{"PKCS#1 private key bare base64", b64Of(k.rsaPKCS1), "private key"},
		{"ECDSA public key PEM", pemOf("PUBLIC KEY", k.ecPKIX), "ECDSA"},
		{"Ed25519 public key bare base64", b64Of(k.edPKIX), "Ed25519"},
		{"512-bit RSA public key", b64Of(k.smallPKIX), "512 bits"},
		{"certificate PEM", pemOf("CERTIFICATE", k.certDER), "certificate"},
		{"garbage text", []byte("not a key, at all!"), "neither PEM nor base64"},
		{"base64 of garbage", []byte("aGVsbG8gd29ybGQ="), "not an X.509"},
		{"empty", []byte(""), "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKey(tt.data)
			assert.Nil(t, got)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrKey)
			assert.Contains(t, err.Error(), tt.says)
		})
	}
}

func TestGenerateKey(t *testing.T) {
	priv, pub, err := GenerateKey(1024)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(priv), "-----BEGIN PRIVATE KEY-----\n"), "private key is PKCS #8 PEM")
	assert.NotContains(t, string(pub), "-----", "public key is bare base64")
	key, err := ParsePrivateKey(priv)
	require.NoError(t, err)
	pk, err := ParsePublicKey(pub)
	require.NoError(t, err)
	assert.True(t, key.PublicKey.Equal(pk))

	for _, bits := range []int{512, 8192} {
		t.Run("refuses "+big.NewInt(int64(bits)).String(), func(t *testing.T) {
			_, _, err := GenerateKey(bits)
			assert.ErrorIs(t, err, ErrKey)
		})
	}
}

func TestNewRSASignerVerifier(t *testing.T) {
	key := coreAlipayKey(t)
	small := coreSmallRSAKey(t)
	tests := []struct {
		name string
		typ  SignType
		key  *rsa.PrivateKey
		ok   bool
	}{
		{"RSA", RSA, key, true},
		{"RSA2", RSA2, key, true},
		{"MD5 is not an RSA type", MD5, key, false},
		{"unknown type", "DSA", key, false},
		{"512-bit key", RSA2, small, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewRSASigner(tt.typ, tt.key)
			v, verr := NewRSAVerifier(tt.typ, &tt.key.PublicKey)
			if !tt.ok {
				assert.ErrorIs(t, err, ErrKey)
				assert.ErrorIs(t, verr, ErrKey)
				return
			}
			require.NoError(t, err)
			require.NoError(t, verr)
			assert.Equal(t, tt.typ, s.SignType())
			assert.Equal(t, tt.typ, v.SignType())
			assert.Equal(t, tt.typ, s.Public().SignType())
		})
	}
}

func TestNewMD5Key(t *testing.T) {
	tests := []struct {
		name string
		key  string
		ok   bool
	}{
		{"sandbox key", sandboxMD5Key, true},
		{"too short", sandboxMD5Key[:31], false},
		{"too long", sandboxMD5Key + "a", false},
		{"uppercase", strings.ToUpper(sandboxMD5Key), false},
		{"symbol", sandboxMD5Key[:31] + "!", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := NewMD5Key(tt.key)
			if !tt.ok {
				assert.ErrorIs(t, err, ErrKey)
				assert.Nil(t, k)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, MD5, k.SignType())
		})
	}
}

func TestNilKeysAreErrors(t *testing.T) {
	_, err := NewRSASigner(RSA2, nil)
	assert.ErrorIs(t, err, ErrKey)
	_, err = NewRSAVerifier(RSA2, nil)
	assert.ErrorIs(t, err, ErrKey)
}
