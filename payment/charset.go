package payment

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// ErrCharset is wrapped when a charset is unknown or the bytes do not decode.
var ErrCharset = errors.New("payment: unsupported or invalid charset")

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
	return decodeString(enc, charset, string(b))
}

// decodeString converts s, bytes in enc (nil for UTF-8), to UTF-8 text.
// UTF-8 input is returned as is, without a copy.
func decodeString(enc encoding.Encoding, charset, s string) (string, error) {
	if enc == nil {
		if !utf8.ValidString(s) {
			return "", fmt.Errorf("%w: bytes are not valid UTF-8", ErrCharset)
		}
		return s, nil
	}
	if isASCII(s) {
		return s, nil
	}
	out, err := enc.NewDecoder().String(s)
	if err != nil {
		return "", fmt.Errorf("%w: bytes are not valid %s: %v", ErrCharset, charset, err)
	}
	// x/text decoders replace invalid input with U+FFFD instead of failing.
	// GBK has no U+FFFD of its own, so one in the output means bad input.
	if strings.ContainsRune(out, utf8.RuneError) {
		return "", fmt.Errorf("%w: bytes are not valid %s", ErrCharset, charset)
	}
	return out, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
