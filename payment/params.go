package payment

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Params is a set of single-valued gateway parameters, decoded to UTF-8.
// Alipay never repeats a key, so a repeated key in anything received is an
// error rather than a choice between two values.
type Params map[string]string

// ErrMalformed is wrapped by errors about input that cannot be parsed: bad
// percent-encoding, repeated keys, undecodable charsets. A notification or
// return that parsed and verified but whose fields are unexpected is
// ErrContent instead.
var ErrMalformed = errors.New("payment: malformed message")

// PreSign returns the string Alipay signs: every parameter except sign and
// sign_type and those with empty values, sorted by key in byte order,
// joined as key=value with &, values raw (not URL-encoded, not trimmed).
func (p Params) PreSign() string {
	return string(appendPreSign(nil, p.pairs()))
}

// pairs returns the parameters of p in no particular order.
func (p Params) pairs() []KV {
	out := make([]KV, 0, len(p))
	for k, v := range p {
		out = append(out, KV{k, v})
	}
	return out
}

// appendPreSign sorts pairs (whose keys are unique) by key and appends
// their pre-sign string to dst.
func appendPreSign(dst []byte, pairs []KV) []byte {
	slices.SortFunc(pairs, func(a, b KV) int { return strings.Compare(a.Key, b.Key) })
	n := 0
	for _, kv := range pairs {
		n += len(kv.Key) + len(kv.Value) + 2
	}
	dst = slices.Grow(dst, n)
	start := len(dst)
	for _, kv := range pairs {
		if kv.Value == "" || kv.Key == "sign" || kv.Key == "sign_type" {
			continue
		}
		if len(dst) > start {
			dst = append(dst, '&')
		}
		dst = append(dst, kv.Key...)
		dst = append(dst, '=')
		dst = append(dst, kv.Value...)
	}
	return dst
}

// preSignBytes returns the pre-sign string of pairs encoded in charset: the
// bytes that are signed.
func preSignBytes(pairs []KV, charset string) ([]byte, error) {
	enc, err := lookupCharset(charset)
	if err != nil {
		return nil, err
	}
	msg := appendPreSign(nil, pairs)
	if enc == nil {
		return msg, nil
	}
	return EncodeCharset(string(msg), charset)
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
	slices.Sort(keys)
	return keys
}

// Encode serializes p with ordinary query encoding, keys sorted: what goes
// after the ? of a gateway URL, or into a form body. Values are
// percent-encoded as the bytes of p's _input_charset (GBK for GBK and
// GB2312, UTF-8 otherwise), the charset the gateway decodes them in, which
// is also the one Sign hashed. A value the charset cannot hold, which Sign
// would have refused to sign, is written in UTF-8.
func (p Params) Encode() string {
	return p.encodeIn(p.Charset())
}

// encodeIn is Encode with the charset given: a form body whose
// _input_charset travels in the URL is still in that charset.
func (p Params) encodeIn(charset string) string {
	enc, err := lookupCharset(charset)
	if err != nil || enc == nil {
		v := make(url.Values, len(p))
		for k, s := range p {
			v.Set(k, s)
		}
		return v.Encode()
	}
	keys := slices.Sorted(maps.Keys(p))
	var b strings.Builder
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		v := p[k]
		if !isASCII(v) {
			if gb, err := enc.NewEncoder().String(v); err == nil {
				v = gb
			}
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	return b.String()
}

// Clone returns a copy of p, never nil.
func (p Params) Clone() Params {
	if p == nil {
		return Params{}
	}
	return maps.Clone(p)
}

// Charset returns the _input_charset of p, or "utf-8" when it has none.
func (p Params) Charset() string {
	if cs := p["_input_charset"]; cs != "" {
		return cs
	}
	return "utf-8"
}

// ParseQuery parses a URL query or form body (k=v&k=v, percent-encoded,
// + for space) whose bytes are in charset, and returns the parameters in
// UTF-8. Unlike url.ParseQuery it refuses repeated keys, bad escapes and
// semicolons, since a message that can be read two ways cannot be verified.
// If charset is empty, the message's own _input_charset decides, then UTF-8.
func ParseQuery(raw []byte, charset string) (Params, error) {
	p, _, err := parseQuery(raw, charset)
	return p, err
}

// parseQuery is ParseQuery that also returns the decoded pairs, in the order
// received, so that a verifier can sort them without walking the map.
func parseQuery(raw []byte, charset string) (Params, []KV, error) {
	// One copy of the body; keys and values without escapes are slices of it.
	s := string(raw)
	pairs := make([]KV, 0, strings.Count(s, "&")+1)
	var fresh uint64 // bit i: pair i was unescaped into new text (or i >= 64)
	for rest := s; rest != ""; {
		var kv string
		kv, rest, _ = strings.Cut(rest, "&")
		if kv == "" {
			continue
		}
		if strings.IndexByte(kv, ';') >= 0 {
			return nil, nil, fmt.Errorf("%w: semicolon in %q", ErrMalformed, kv)
		}
		k, v, _ := strings.Cut(kv, "=")
		key, err := queryUnescape(k)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: key %q: %v", ErrMalformed, k, err)
		}
		val, err := queryUnescape(v)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: value of %q: %v", ErrMalformed, key, err)
		}
		if i := len(pairs); i < 64 && (key != k || val != v) {
			fresh |= 1 << i
		}
		pairs = append(pairs, KV{key, val})
	}
	if charset == "" {
		for _, p := range pairs {
			if p.Key == "_input_charset" {
				charset = p.Value
			}
		}
	}
	enc, err := lookupCharset(charset)
	if err != nil {
		return nil, nil, err
	}
	// Slices of a valid UTF-8 body cut at ASCII '&' and '=' are valid too,
	// so only unescaped text needs checking on its own.
	bodyValid := enc == nil && utf8.ValidString(s)
	out := make(Params, len(pairs))
	for i, p := range pairs {
		if !bodyValid || i >= 64 || fresh&(1<<i) != 0 {
			k, err := decodeString(enc, charset, p.Key)
			if err != nil {
				return nil, nil, err
			}
			v, err := decodeString(enc, charset, p.Value)
			if err != nil {
				return nil, nil, fmt.Errorf("parameter %s: %w", k, err)
			}
			if enc != nil {
				p = KV{k, v}
				pairs[i] = p
			}
		}
		// A key seen before does not grow the map.
		if out[p.Key] = p.Value; len(out) != i+1 {
			return nil, nil, fmt.Errorf("%w: parameter %q appears more than once", ErrMalformed, p.Key)
		}
	}
	return out, pairs, nil
}

// queryUnescape is url.QueryUnescape ('+' is a space, %XX a byte, any
// other '%' an url.EscapeError), but copies the runs between escapes whole:
// a base64 signature is mostly such runs.
func queryUnescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		if strings.IndexByte(s, '+') < 0 {
			return s, nil
		}
		return strings.ReplaceAll(s, "+", " "), nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", url.EscapeError(s[i:min(i+3, len(s))])
			}
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 3
		case '+':
			b.WriteByte(' ')
			i++
		default:
			j := i + 1
			for j < len(s) && s[j] != '%' && s[j] != '+' {
				j++
			}
			b.WriteString(s[i:j])
			i = j
		}
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
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
