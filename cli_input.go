package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"shop/payment"
)

// input is the message read on stdin: a query string, a gateway URL (base is
// the part before '?') or an app order string (order and raw).
type input struct {
	base   string
	query  string
	params payment.Params
	order  *payment.OrderString
	raw    string
}

func readInput(stdin io.Reader) (*input, error) {
	b, err := io.ReadAll(io.LimitReader(stdin, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("stdin holds more than %d bytes; a message is much smaller", maxInput)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil, errors.New(`nothing on stdin: pipe in a query string (k=v&...), a gateway URL or an app order string (k="v"&...)`)
	}
	if i := strings.IndexByte(s, '='); i > 0 && strings.HasPrefix(s[i:], `="`) {
		o, err := payment.ParseOrderString(s)
		if err != nil {
			return nil, fmt.Errorf("reading the order string: %w", err)
		}
		return &input{order: o, raw: s}, nil
	}
	in := &input{}
	if lower := strings.ToLower(s); strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		base, query, ok := strings.Cut(s, "?")
		if !ok {
			return nil, errors.New("the URL has no query string (nothing after '?')")
		}
		in.base, s = base, query
		s, _, _ = strings.Cut(s, "#")
	}
	in.query = strings.TrimPrefix(s, "?")
	// Text pasted in a terminal is UTF-8 whatever _input_charset says; only
	// percent-encoded bytes are in the message's own charset.
	charset := ""
	if !isASCII(in.query) {
		charset = "utf-8"
	}
	in.params, err = payment.ParseQuery([]byte(in.query), charset)
	if err != nil {
		return nil, fmt.Errorf("reading the query: %w", err)
	}
	return in, nil
}

// queryNotes warns about a raw '+', which query decoding reads as a space,
// and about query output that a non-UTF-8 gateway would misread.
func queryNotes(in *input, t payment.SignType, verifying bool) []string {
	var notes []string
	for _, pair := range strings.Split(in.query, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if !strings.Contains(v, "+") {
			continue
		}
		if key, err := url.QueryUnescape(k); err == nil {
			k = key
		}
		switch {
		case k == "sign" && verifying && t == payment.MD5:
			notes = append(notes, "the sign contains '+', which query decoding reads as a space; an MD5 sign is hex and never contains '+'")
		case k == "sign" && verifying:
			notes = append(notes, "the sign contains a literal '+', which query decoding reads as a space; RepairSign puts it back for RSA and RSA2, but senders must escape it as %2B")
		case k != "sign":
			notes = append(notes, fmt.Sprintf("the '+' in %s was read as a space (query encoding); write %%2B for a literal plus", k))
		}
	}
	if cs := strings.ToLower(in.params.Charset()); !verifying && cs != "utf-8" && cs != "utf8" && !isASCII(in.params.PreSign()) {
		notes = append(notes, "the signed query percent-encodes UTF-8 bytes, but _input_charset="+cs+": a gateway decodes non-ASCII values as "+cs)
	}
	return notes
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
