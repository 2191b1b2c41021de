package payment

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Params is a set of single-valued gateway parameters, decoded to UTF-8.
// Alipay never repeats a key, so a repeated key in anything received is an
// error rather than a choice between two values.
type Params map[string]string

// ErrMalformed is wrapped by errors about input that cannot be parsed: bad
// percent-encoding, repeated keys, undecodable charsets.
var ErrMalformed = errors.New("payment: malformed message")

// ErrCharset is wrapped when a charset is unknown or the bytes do not decode.
var ErrCharset = errors.New("payment: unsupported or invalid charset")

// PreSign returns the string Alipay signs: every parameter except sign and
// sign_type and those with empty values, sorted by key in byte order,
// joined as key=value with &, values raw (not URL-encoded, not trimmed).
func (p Params) PreSign() string {
	keys := p.signedKeys()
	n := 0
	for _, k := range keys {
		n += len(k) + len(p[k]) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(p[k])
	}
	return b.String()
}

// signedKeys returns the keys that take part in the signature, sorted.
func (p Params) signedKeys() []string {
	keys := make([]string, 0, len(p))
	for k, v := range p {
		if v == "" || k == "sign" || k == "sign_type" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Encode serializes p with ordinary query encoding, keys sorted: what goes
// after the ? of a gateway URL, or into a form body.
func (p Params) Encode() string {
	v := make(url.Values, len(p))
	for k, s := range p {
		v.Set(k, s)
	}
	return v.Encode()
}

// Clone returns a copy of p.
func (p Params) Clone() Params {
	c := make(Params, len(p)+2)
	for k, v := range p {
		c[k] = v
	}
	return c
}

// Charset returns the _input_charset of p, or "utf-8" when it has none.
func (p Params) Charset() string {
	if cs := p["_input_charset"]; cs != "" {
		return cs
	}
	return "utf-8"
}

// lookupCharset returns the encoding for an Alipay charset name, nil for UTF-8.
func lookupCharset(name string) (encoding.Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "utf-8", "utf8":
		return nil, nil
	case "gbk", "gb2312", "gb18030":
		// GB2312 is a subset of GBK; Alipay's "GBK" pages are GB18030-safe.
		return simplifiedchinese.GBK, nil
	}
	return nil, fmt.Errorf("%w: %q (Alipay uses UTF-8, GBK or GB2312)", ErrCharset, name)
}

// EncodeCharset converts UTF-8 text to the bytes of charset, the bytes that
// are hashed when signing.
func EncodeCharset(s, charset string) ([]byte, error) {
	enc, err := lookupCharset(charset)
	if err != nil {
		return nil, err
	}
	if enc == nil {
		return []byte(s), nil
	}
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("%w: text cannot be written in %s: %v", ErrCharset, charset, err)
	}
	return b, nil
}

// DecodeCharset converts bytes in charset to UTF-8 text. Invalid UTF-8 is an
// error, never silently replaced.
func DecodeCharset(b []byte, charset string) (string, error) {
	enc, err := lookupCharset(charset)
	if err != nil {
		return "", err
	}
	if enc == nil {
		if !utf8.Valid(b) {
			return "", fmt.Errorf("%w: bytes are not valid UTF-8", ErrCharset)
		}
		return string(b), nil
	}
	s, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("%w: bytes are not valid %s: %v", ErrCharset, charset, err)
	}
	return string(s), nil
}

// ParseQuery parses a URL query or form body (k=v&k=v, percent-encoded,
// + for space) whose bytes are in charset, and returns the parameters in
// UTF-8. Unlike url.ParseQuery it refuses repeated keys, bad escapes and
// semicolons, since a message that can be read two ways cannot be verified.
// If charset is empty, the message's own _input_charset decides, then UTF-8.
func ParseQuery(raw []byte, charset string) (Params, error) {
	type kv struct{ k, v []byte }
	var pairs []kv
	for s := string(raw); s != ""; {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return nil, fmt.Errorf("%w: semicolon in %q", ErrMalformed, pair)
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrMalformed, k, err)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("%w: value of %q: %v", ErrMalformed, key, err)
		}
		pairs = append(pairs, kv{[]byte(key), []byte(val)})
	}
	if charset == "" {
		for _, p := range pairs {
			if string(p.k) == "_input_charset" {
				charset = string(p.v)
			}
		}
	}
	out := make(Params, len(pairs))
	for _, p := range pairs {
		k, err := DecodeCharset(p.k, charset)
		if err != nil {
			return nil, err
		}
		v, err := DecodeCharset(p.v, charset)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", k, err)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%w: parameter %q appears more than once", ErrMalformed, k)
		}
		out[k] = v
	}
	return out, nil
}

// FromValues converts url.Values as parsed by net/http, refusing keys that
// carry more than one value.
func FromValues(v url.Values) (Params, error) {
	out := make(Params, len(v))
	for k, vs := range v {
		if len(vs) != 1 {
			return nil, fmt.Errorf("%w: parameter %q appears %d times", ErrMalformed, k, len(vs))
		}
		out[k] = vs[0]
	}
	return out, nil
}

// Sign signs p with s and returns a copy with sign and sign_type set. The
// pre-sign string is encoded in p's _input_charset before hashing.
func Sign(s Signer, p Params) (Params, error) {
	msg, err := EncodeCharset(p.PreSign(), p.Charset())
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
	msg, err := EncodeCharset(p.PreSign(), charset)
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
