package payment

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Diagnose explains why Verify rejected p, in one sentence naming the rule
// that failed. It re-checks the signature against the mistakes signers
// commonly make, in this order: no sign; a sign_type other than v's; an RSA
// signature made with the other digest (SHA-1 for SHA-256 or back); a
// signature from a key of another size; a '+' that query decoding turned
// into a space; empty values, sign_type or URL-encoded values in the signed
// string; the wrong charset; for MD5, a separator before the key. Otherwise
// it blames the key or a parameter changed after signing. charset is the one
// given to Verify (empty: the message's _input_charset, then UTF-8).
//
// Diagnose is for people (logs, the signature debugger): it never changes
// whether a message is accepted.
func Diagnose(v Verifier, p Params, charset string) string {
	sig := p["sign"]
	if sig == "" {
		return "the message has no sign parameter"
	}
	want := v.SignType()
	if charset == "" {
		charset = p.Charset()
	}
	enc := func(s string) []byte {
		b, err := EncodeCharset(s, charset)
		if err != nil {
			return nil // a variant the charset cannot express was not signed either
		}
		return b
	}
	msg := enc(p.PreSign())
	if msg == nil {
		return fmt.Sprintf("the pre-sign string cannot be written in the charset %q, so it cannot have been signed in it", charset)
	}
	if st, ok := p["sign_type"]; ok && st != string(want) {
		return signTypeReason("the message", st, v, sig, msg)
	}
	fixed := RepairSign(want, sig)
	if verifiesAny(v, fixed, msg) {
		if fixed != sig {
			return "the sign had spaces where its base64 has '+' (query decoding reads an unescaped '+' as a space); put them back, as RepairSign does"
		}
		return "the signature is valid"
	}
	if r := rsaReason(v, fixed, msg); r != "" {
		return r
	}
	for _, k := range sortedKeys(p) {
		if k == "sign" || !strings.Contains(p[k], " ") {
			continue
		}
		if verifiesAny(v, fixed, enc(with1(p, k, strings.ReplaceAll(p[k], " ", "+")).PreSign())) {
			return fmt.Sprintf("the value of %s had a '+' that query decoding read as a space: the sender did not escape it as %%2B", k)
		}
	}
	if empty := emptyKeys(p); len(empty) > 0 && verifiesAny(v, fixed, enc(joinSorted(p, true, false))) {
		return fmt.Sprintf("the signer included empty values (%s) in the pre-sign string; Alipay leaves out parameters whose value is empty", strings.Join(empty, ", "))
	}
	st := p["sign_type"]
	if st == "" {
		st = string(want)
	}
	if verifiesAny(v, fixed, enc(joinSorted(with1(p, "sign_type", st), false, true)), enc(p.PreSign()+"&sign_type="+st)) {
		return "the signer included sign_type in the pre-sign string; sign and sign_type are left out of it"
	}
	if escaped := escapedPreSign(p); escaped != p.PreSign() && verifiesAny(v, fixed, enc(escaped)) {
		return "the signer URL-encoded the values before signing; Alipay signs the raw values (https://example.com/notify, not https%3A%2F%2Fexample.com%2Fnotify)"
	}
	if other := otherCharset(charset); other != "" {
		if b, err := EncodeCharset(p.PreSign(), other); err == nil && string(b) != string(msg) && verifiesAny(v, fixed, b) {
			return fmt.Sprintf("the signer hashed the pre-sign string in %s but the message's charset is %s", other, charset)
		}
	}
	if k, ok := v.(*MD5Key); ok {
		if !isMD5Hex(sig) {
			return fmt.Sprintf("the sign is not 32 hex characters, so it is not an MD5 signature (%d characters; RSA signatures are base64)", len(sig))
		}
		for _, sep := range []string{"&key=", "&"} {
			if k.Verify(append(append([]byte{}, msg...), sep...), sig) == nil {
				return fmt.Sprintf("the signer put %q between the pre-sign string and the MD5 key; MD5 appends the key directly", sep)
			}
		}
		return "the MD5 digest does not match: wrong key, or a parameter changed after signing (MD5 appends the key directly to the pre-sign string, with no '&' or 'key=' between them)"
	}
	return fmt.Sprintf("the %s signature does not verify: wrong key (is this the public half of the key that signed?), or a parameter changed after signing", want)
}

// signTypeReason explains a sign_type that differs from the configured one,
// and says which type actually verifies when the verifier's key can tell.
func signTypeReason(what, got string, v Verifier, sig string, msgs ...[]byte) string {
	want := v.SignType()
	if strings.EqualFold(got, string(want)) {
		return fmt.Sprintf("%s says sign_type=%q but %s is configured; Alipay's sign types are uppercase", what, got, want)
	}
	if rv, ok := v.(*RSAVerifier); ok && (got == string(RSA) || got == string(RSA2)) {
		if verifiesAny(rv.as(SignType(got)), RepairSign(RSA, sig), msgs...) {
			return fmt.Sprintf("%s says sign_type=%s but %s is configured; it is a valid %s signature, so one side has the wrong sign type", what, got, want, describe(SignType(got)))
		}
	}
	return fmt.Sprintf("%s says sign_type=%q but %s is configured; both sides must use the same sign type", what, got, want)
}

// rsaReason checks an RSA signature's shape and digest: "" when v is not RSA
// or the signature is well formed, of the right length and not made with the
// other digest.
func rsaReason(v Verifier, sig string, msgs ...[]byte) string {
	rv, ok := v.(*RSAVerifier)
	if !ok {
		return ""
	}
	if isMD5Hex(sig) {
		return fmt.Sprintf("the sign is 32 hex characters, an MD5 signature, but %s is configured", rv.typ)
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		if un, uerr := url.QueryUnescape(sig); uerr == nil && un != sig && verifiesAny(v, un, msgs...) {
			return "the sign is still URL-encoded: it was escaped twice, so one decoding leaves %2B, %2F and %3D in it"
		}
		return fmt.Sprintf("the sign is not standard base64 (%v)", err)
	}
	other := RSA
	if rv.typ == RSA {
		other = RSA2
	}
	if verifiesAny(rv.as(other), sig, msgs...) {
		return fmt.Sprintf("signed as %s but configured %s: the signer used the other digest (the classic swapped-digest bug)", describe(other), describe(rv.typ))
	}
	if len(raw) != rv.key.Size() {
		return fmt.Sprintf("the signature is %d bytes but the configured %d-bit key makes %d-byte signatures: it was made with another key",
			len(raw), rv.key.N.BitLen(), rv.key.Size())
	}
	return ""
}

func isMD5Hex(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range strings.ToLower(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// as returns a verifier over the same key with sign type t.
func (v *RSAVerifier) as(t SignType) *RSAVerifier {
	return &RSAVerifier{typ: t, key: v.key}
}

// describe names a sign type with its digest, the part that gets swapped.
func describe(t SignType) string {
	switch t {
	case RSA:
		return "RSA (SHA-1)"
	case RSA2:
		return "RSA2 (SHA-256)"
	}
	return string(t)
}

func verifiesAny(v Verifier, sig string, msgs ...[]byte) bool {
	for _, m := range msgs {
		if m != nil && v.Verify(m, sig) == nil {
			return true
		}
	}
	return false
}

func sortedKeys(p Params) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func emptyKeys(p Params) []string {
	var out []string
	for _, k := range sortedKeys(p) {
		if p[k] == "" && k != "sign" && k != "sign_type" {
			out = append(out, k)
		}
	}
	return out
}

// with1 returns a copy of p with k set to v, or removed when v is empty.
func with1(p Params, k, v string) Params {
	c := p.Clone()
	delete(c, k)
	if v != "" {
		c[k] = v
	}
	return c
}

// joinSorted is PreSign with its rules relaxed: empty values and sign_type
// kept when asked to.
func joinSorted(p Params, empty, signType bool) string {
	var pairs []string
	for _, k := range sortedKeys(p) {
		switch {
		case k == "sign", k == "sign_type" && !signType, p[k] == "" && !empty:
			continue
		}
		pairs = append(pairs, k+"="+p[k])
	}
	return strings.Join(pairs, "&")
}

// escapedPreSign is the pre-sign string with keys and values URL-encoded,
// the mistake of signing the query string instead of the parameters.
func escapedPreSign(p Params) string {
	v := url.Values{}
	for _, k := range p.signedKeys() {
		v.Set(k, p[k])
	}
	return v.Encode()
}

// otherCharset is the charset a signer most likely confused with cs.
func otherCharset(cs string) string {
	switch strings.ToLower(cs) {
	case "", "utf-8", "utf8":
		return "gbk"
	case "gbk", "gb2312", "gb18030":
		return "utf-8"
	}
	return ""
}
