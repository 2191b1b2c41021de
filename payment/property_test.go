package payment

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// coreRandAlphabet mixes what breaks naive implementations: separators of
// the pre-sign string, escapes, spaces, quotes, CJK, accents and emoji.
var coreRandAlphabet = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:/ &=+%\"'?#;中文支付宝éß€😀\t")

func coreRandString(rng *rand.Rand, maxLen int) string {
	n := 1 + rng.IntN(maxLen)
	var b strings.Builder
	for range n {
		if rng.IntN(8) == 0 {
			// Any valid code point, not just the alphabet.
			for {
				r := rune(rng.IntN(utf8.MaxRune + 1))
				if utf8.ValidRune(r) {
					b.WriteRune(r)
					break
				}
			}
			continue
		}
		b.WriteRune(coreRandAlphabet[rng.IntN(len(coreRandAlphabet))])
	}
	return b.String()
}

func coreRandKey(rng *rand.Rand, p Params) string {
	for {
		k := coreRandString(rng, 12)
		if _, taken := p[k]; !taken && k != "sign" && k != "sign_type" && k != "_input_charset" {
			return k
		}
	}
}

// coreRandParams returns 1 to 15 random non-empty parameters, sometimes
// with an explicit _input_charset=utf-8.
func coreRandParams(rng *rand.Rand) Params {
	p := Params{}
	for range 1 + rng.IntN(15) {
		p[coreRandKey(rng, p)] = coreRandString(rng, 24)
	}
	if rng.IntN(3) == 0 {
		p["_input_charset"] = "utf-8"
	}
	return p
}

// TestPropertyTamperingBreaksSignature checks, over many random parameter
// sets and for every algorithm, that an untouched message verifies (also
// after a trip through form encoding) while changing one signed value,
// removing one signed field or adding a field makes Verify fail.
func TestPropertyTamperingBreaksSignature(t *testing.T) {
	iterations := map[string]int{"MD5": 500, "RSA": 120, "RSA2": 120}
	if testing.Short() {
		for k := range iterations {
			iterations[k] /= 5
		}
	}
	for si, cs := range coreSigners(t) {
		t.Run(cs.name, func(t *testing.T) {
			seed := uint64(20240102 + si)
			rng := rand.New(rand.NewPCG(seed, 7))
			checks := 0
			for it := range iterations[cs.name] {
				p := coreRandParams(rng)
				signed, err := Sign(cs.s, p)
				require.NoError(t, err, "seed %d iteration %d: %q", seed, it, p)
				require.NoError(t, Verify(cs.v, signed, ""), "seed %d iteration %d: untouched message must verify: %q", seed, it, signed)

				wire, err := ParseQuery([]byte(signed.Encode()), "")
				require.NoError(t, err, "seed %d iteration %d", seed, it)
				require.Equal(t, signed, wire, "seed %d iteration %d: form encoding must round-trip", seed, it)
				require.NoError(t, Verify(cs.v, wire, ""), "seed %d iteration %d: must verify after the wire", seed, it)

				mustFail := func(what string, q Params) {
					t.Helper()
					checks++
					err := Verify(cs.v, q, "")
					if !errors.Is(err, ErrSignature) && !errors.Is(err, ErrCharset) {
						t.Fatalf("seed %d iteration %d: %s still verifies (err %v)\nsigned: %q\ntampered: %q", seed, it, what, err, signed, q)
					}
				}
				for _, k := range p.signedKeys() {
					v := coreRandString(rng, 24)
					if v == p[k] {
						v += "x"
					}
					mustFail("changing "+k, with(signed, k, v))
					// The smallest changes: one more character, one fewer.
					mustFail("appending to "+k, with(signed, k, p[k]+" "))
					if r, size := utf8.DecodeLastRuneInString(p[k]); size < len(p[k]) && r != utf8.RuneError {
						mustFail("truncating "+k, with(signed, k, p[k][:len(p[k])-size]))
					}
					removed := signed.Clone()
					delete(removed, k)
					mustFail("removing "+k, removed)
				}
				for range 3 {
					mustFail("adding a field", with(signed, coreRandKey(rng, signed), coreRandString(rng, 24)))
				}
				if _, ok := signed["_input_charset"]; !ok {
					// Declaring a charset the signer did not use must not verify
					// either (the bytes hashed change, or cannot be encoded).
					if enc, err := EncodeCharset(signed.PreSign(), "gbk"); err == nil && string(enc) != signed.PreSign() {
						mustFail("adding _input_charset=gbk", with(signed, "_input_charset", "gbk"))
					}
				}
			}
			t.Logf("seed %d: %d iterations, %d tampered messages refused", seed, iterations[cs.name], checks)
		})
	}
}
