package payment

import (
	"fmt"
	"sort"
	"strings"
)

// DiagnoseOrderString explains why VerifyOrderString rejected the app order
// string s, in one sentence: unparseable; no sign; a sign_type other than
// v's; the other RSA digest or another key; a sign that was not URL-escaped
// (its '+' became spaces) or was escaped twice; values signed without their
// quotes, with sign_type, or with empty values; otherwise the wrong key or a
// value changed after signing, in both the order received and key order.
func DiagnoseOrderString(v Verifier, s string) string {
	o, err := ParseOrderString(s)
	if err != nil {
		return "the order string cannot be parsed: " + err.Error()
	}
	if o.Sign == "" {
		return "the order string has no sign"
	}
	want := v.SignType()
	received, sorted := []byte(o.PreSign()), []byte(o.SortedPreSign())
	if o.SignType == "" {
		return fmt.Sprintf("the order string has no sign_type; it must end with &sign_type=%q", want)
	}
	if o.SignType != want {
		return signTypeReason("the order string", string(o.SignType), v, o.Sign, received, sorted)
	}
	if verifiesAny(v, o.Sign, received, sorted) {
		return "the signature is valid"
	}
	if fixed := strings.ReplaceAll(o.Sign, " ", "+"); fixed != o.Sign && verifiesAny(v, fixed, received, sorted) {
		return "the sign has spaces where its base64 has '+': it was not URL-escaped in the order string, so decoding read '+' as a space"
	}
	if r := rsaReason(v, o.Sign, received, sorted); r != "" {
		return r
	}
	p := o.Params()
	st := fmt.Sprintf("&sign_type=%q", want)
	if verifiesAny(v, o.Sign, []byte(p.PreSign()), []byte(joinPairs(o.Pairs))) {
		return "the signer signed key=value without the quotes; an app order string is signed as key=\"value\" pairs"
	}
	withType := append(nonEmpty(o.Pairs), KV{"sign_type", string(want)})
	if verifiesAny(v, o.Sign, []byte(o.PreSign()+st), []byte(o.SortedPreSign()+st), []byte(QuotePairs(sortKVs(withType)))) {
		return "the signer included sign_type in the signed string; sign and sign_type are appended after signing"
	}
	if len(emptyKeys(p)) > 0 && verifiesAny(v, o.Sign, []byte(QuotePairs(o.Pairs)), []byte(QuotePairs(sortKVs(o.Pairs)))) {
		return fmt.Sprintf("the signer included empty values (%s) in the signed string; leave out parameters whose value is empty", strings.Join(emptyKeys(p), ", "))
	}
	if string(received) != string(sorted) {
		return "the signature verifies over neither the order received nor key order: wrong key (is this the public half of the key that signed?), or a value changed after signing"
	}
	return "the signature does not verify: wrong key (is this the public half of the key that signed?), or a value changed after signing"
}

func nonEmpty(pairs []KV) []KV {
	out := make([]KV, 0, len(pairs)+1)
	for _, kv := range pairs {
		if kv.Value != "" {
			out = append(out, kv)
		}
	}
	return out
}

// sortKVs returns a copy of pairs sorted by key.
func sortKVs(pairs []KV) []KV {
	out := append([]KV{}, pairs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// joinPairs renders pairs unquoted, key=value, without empty values.
func joinPairs(pairs []KV) string {
	var b strings.Builder
	for _, kv := range pairs {
		if kv.Value == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv.Key + "=" + kv.Value)
	}
	return b.String()
}
