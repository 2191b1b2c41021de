package payment

import (
	"crypto"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// SignType names one of Alipay's signature algorithms, exactly as it
// appears in the sign_type parameter.
type SignType string

// The signature algorithms of the mapi gateway.
const (
	// MD5 is lowercase hex MD5 of the pre-sign string with the shared
	// security key appended. The key signs in both directions.
	MD5 SignType = "MD5"
	// RSA is RSASSA-PKCS1-v1_5 with SHA-1 ("SHA1withRSA").
	RSA SignType = "RSA"
	// RSA2 is RSASSA-PKCS1-v1_5 with SHA-256 ("SHA256withRSA").
	RSA2 SignType = "RSA2"
)

// ParseSignType returns the SignType named by s. Alipay only accepts the
// uppercase spellings, so "md5" or "rsa2" are errors.
func ParseSignType(s string) (SignType, error) {
	switch t := SignType(s); t {
	case MD5, RSA, RSA2:
		return t, nil
	}
	return "", fmt.Errorf("payment: unknown sign type %q (want MD5, RSA or RSA2, uppercase)", s)
}

// hash returns the digest RSA and RSA2 sign; the two are easily swapped by
// mistake, so this is the only place that maps one to the other.
func (t SignType) hash() crypto.Hash {
	if t == RSA {
		return crypto.SHA1
	}
	return crypto.SHA256
}

// Signer signs a pre-sign string.
type Signer interface {
	SignType() SignType
	// Sign returns the value of the sign parameter for msg, the pre-sign
	// string already encoded in the request charset.
	Sign(msg []byte) (string, error)
}

// Verifier checks a signature made over a pre-sign string.
type Verifier interface {
	SignType() SignType
	// Verify returns nil if sig is a valid signature of msg, and an error
	// wrapping ErrSignature otherwise.
	Verify(msg []byte, sig string) error
}

// ErrSignature is wrapped by every signature verification failure.
var ErrSignature = errors.New("payment: signature invalid")

// ErrKey is wrapped by every error about an unusable key.
var ErrKey = errors.New("payment: unusable key")

// Sign signs p with s and returns a copy with sign and sign_type set. The
// pre-sign string is encoded in p's _input_charset before hashing.
func Sign(s Signer, p Params) (Params, error) {
	msg, err := preSignBytes(p.pairs(), p.Charset())
	if err != nil {
		return nil, err
	}
	sig, err := s.Sign(msg)
	if err != nil {
		return nil, err
	}
	out := p.Clone()
	out["sign"] = sig
	out["sign_type"] = string(s.SignType())
	return out, nil
}

// ErrSignType is wrapped when a message names a sign_type other than the
// configured one. The configured type always wins: a message must not be
// able to choose the algorithm it is checked with.
var ErrSignType = errors.New("payment: sign type mismatch")

// Verify checks the signature of parameters received from Alipay (a return
// redirect or a notification) over every field that arrived, with v's sign
// type only. A sign_type field, if present, must name that type. Spaces in
// an RSA signature are put back to '+', which form decoding turns them into
// when a sender forgets to escape them. charset is the message charset used
// for hashing; empty means the message's _input_charset, then UTF-8.
func Verify(v Verifier, p Params, charset string) error {
	return verifyPairs(v, p, p.pairs(), charset)
}

// verifyPairs is Verify with the pairs of p already at hand; it sorts them.
func verifyPairs(v Verifier, p Params, pairs []KV, charset string) error {
	sig, ok := p["sign"]
	if !ok || sig == "" {
		return fmt.Errorf("%w: no sign parameter", ErrSignature)
	}
	if st, ok := p["sign_type"]; ok && st != string(v.SignType()) {
		return fmt.Errorf("%w: message says sign_type=%q, configured %s", ErrSignType, st, v.SignType())
	}
	if charset == "" {
		charset = p.Charset()
	}
	msg, err := preSignBytes(pairs, charset)
	if err != nil {
		return err
	}
	return v.Verify(msg, RepairSign(v.SignType(), sig))
}

// RepairSign undoes the one corruption a base64 signature suffers in transit:
// a '+' decoded as a space by a form parser. MD5 signatures are hex and are
// returned unchanged.
func RepairSign(t SignType, sig string) string {
	if t == MD5 {
		return sig
	}
	return strings.ReplaceAll(sig, " ", "+")
}

// MD5Key is the shared MD5 "security key" of a partner. It both signs and
// verifies, so whoever holds it can forge notifications: merchants on MD5
// should also check notifications with notify_verify.
type MD5Key struct {
	key []byte
}

// NewMD5Key checks that key looks like an Alipay MD5 key (32 lowercase
// letters and digits) and returns it.
func NewMD5Key(key string) (*MD5Key, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("%w: MD5 key must be 32 characters, got %d", ErrKey, len(key))
	}
	for _, r := range key {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return nil, fmt.Errorf("%w: MD5 key must be lowercase letters and digits, found %q", ErrKey, r)
		}
	}
	return &MD5Key{key: []byte(key)}, nil
}

// SignType returns MD5.
func (k *MD5Key) SignType() SignType { return MD5 }

// Sign returns lowercase hex MD5(msg + key).
func (k *MD5Key) Sign(msg []byte) (string, error) {
	return k.digest(msg), nil
}

func (k *MD5Key) digest(msg []byte) string {
	h := md5.New()
	h.Write(msg)
	h.Write(k.key)
	var sum [md5.Size]byte
	var out [2 * md5.Size]byte
	hex.Encode(out[:], h.Sum(sum[:0]))
	return string(out[:])
}

// Verify compares sig with the expected digest in constant time. Uppercase
// hex is accepted; case carries no information.
func (k *MD5Key) Verify(msg []byte, sig string) error {
	want := k.digest(msg)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(sig))) {
		return fmt.Errorf("%w: MD5 digest does not match (wrong key, or the parameters differ from what was signed)", ErrSignature)
	}
	return nil
}

// RSASigner signs with a private key: the merchant's for requests, or
// Alipay's (in the sandbox) for responses and notifications.
type RSASigner struct {
	typ SignType
	key *rsa.PrivateKey
}

// NewRSASigner returns a signer of type RSA or RSA2 over key.
func NewRSASigner(t SignType, key *rsa.PrivateKey) (*RSASigner, error) {
	if t != RSA && t != RSA2 {
		return nil, fmt.Errorf("%w: an RSA key cannot sign %s", ErrKey, t)
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no private key", ErrKey)
	}
	if err := checkRSASize(key.N.BitLen()); err != nil {
		return nil, err
	}
	return &RSASigner{typ: t, key: key}, nil
}

// SignType returns RSA or RSA2.
func (s *RSASigner) SignType() SignType { return s.typ }

// Public returns a verifier for the signatures s makes.
func (s *RSASigner) Public() *RSAVerifier { return &RSAVerifier{typ: s.typ, key: &s.key.PublicKey} }

// Sign returns standard base64 of the PKCS #1 v1.5 signature of msg.
func (s *RSASigner) Sign(msg []byte) (string, error) {
	digest := digestOf(s.typ.hash(), msg)
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, s.typ.hash(), digest)
	if err != nil {
		return "", fmt.Errorf("payment: %s sign: %w", s.typ, err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// RSAVerifier verifies with a public key: Alipay's on the merchant side, the
// merchant's in the sandbox.
type RSAVerifier struct {
	typ SignType
	key *rsa.PublicKey
}

// NewRSAVerifier returns a verifier of type RSA or RSA2 over key.
func NewRSAVerifier(t SignType, key *rsa.PublicKey) (*RSAVerifier, error) {
	if t != RSA && t != RSA2 {
		return nil, fmt.Errorf("%w: an RSA key cannot verify %s", ErrKey, t)
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no public key", ErrKey)
	}
	if err := checkRSASize(key.N.BitLen()); err != nil {
		return nil, err
	}
	return &RSAVerifier{typ: t, key: key}, nil
}

// SignType returns RSA or RSA2.
func (v *RSAVerifier) SignType() SignType { return v.typ }

// Verify checks that sig, standard base64, is a PKCS #1 v1.5 signature of
// msg with this verifier's digest.
func (v *RSAVerifier) Verify(msg []byte, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: sign is not standard base64: %v", ErrSignature, err)
	}
	if len(raw) != v.key.Size() {
		return fmt.Errorf("%w: signature is %d bytes but the %d-bit key makes %d-byte signatures (signed with another key?)",
			ErrSignature, len(raw), v.key.N.BitLen(), v.key.Size())
	}
	if err := rsa.VerifyPKCS1v15(v.key, v.typ.hash(), digestOf(v.typ.hash(), msg), raw); err != nil {
		return fmt.Errorf("%w: %s (%s) signature does not verify with the public key", ErrSignature, v.typ, v.typ.hash())
	}
	return nil
}

func digestOf(h crypto.Hash, msg []byte) []byte {
	if h == crypto.SHA1 {
		d := sha1.Sum(msg)
		return d[:]
	}
	d := sha256.Sum256(msg)
	return d[:]
}

func checkRSASize(bits int) error {
	if bits < 1024 || bits > 4096 {
		return fmt.Errorf("%w: RSA key is %d bits; Alipay uses 1024 (legacy) or 2048", ErrKey, bits)
	}
	return nil
}
