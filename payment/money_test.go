package payment

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		name    string
		minor   int64
		cur     Currency
		want    string
		wantErr error
	}{
		{"USD typical", 35045, "USD", "350.45", nil},
		{"USD minimum 0.01", 1, "USD", "0.01", nil},
		{"USD one cent short of a unit", 99, "USD", "0.99", nil},
		{"USD whole", 100, "USD", "1.00", nil},
		{"USD ten cents", 10, "USD", "0.10", nil},
		{"USD maximum 1000000.00", 100_000_000, "USD", "1000000.00", nil},
		{"EUR", 1050, "EUR", "10.50", nil},
		{"CNY for rmb_fee", 20000, CNY, "200.00", nil},
		{"USD zero is below range", 0, "USD", "", ErrAmount},
		{"USD negative", -1, "USD", "", ErrAmount},
		{"USD just above maximum", 100_000_001, "USD", "", ErrAmount},
		{"JPY has no decimals", 1500, "JPY", "1500", nil},
		{"JPY minimum 1", 1, "JPY", "1", nil},
		{"JPY maximum", 1_000_000, "JPY", "1000000", nil},
		{"JPY just above maximum", 1_000_001, "JPY", "", ErrAmount},
		{"JPY zero", 0, "JPY", "", ErrAmount},
		{"KRW has no decimals", 50000, "KRW", "50000", nil},
		{"KRW maximum", 1_000_000, "KRW", "1000000", nil},
		{"KRW just above maximum", 1_000_001, "KRW", "", ErrAmount},
		{"unknown currency", 100, "XXX", "", ErrCurrency},
		{"lowercase currency is unknown", 100, "usd", "", ErrCurrency},
		{"empty currency", 100, "", "", ErrCurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatAmount(tt.minor, tt.cur)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		cur     Currency
		want    int64
		wantErr error
	}{
		{"USD typical", "350.45", "USD", 35045, nil},
		{"USD minimum", "0.01", "USD", 1, nil},
		{"USD maximum", "1000000.00", "USD", 100_000_000, nil},
		{"USD whole", "1.00", "USD", 100, nil},
		{"CNY", "200.00", CNY, 20000, nil},
		{"JPY", "1500", "JPY", 1500, nil},
		{"JPY minimum", "1", "JPY", 1, nil},
		{"JPY maximum", "1000000", "JPY", 1_000_000, nil},
		{"KRW", "50000", "KRW", 50000, nil},

		{"USD zero", "0.00", "USD", 0, ErrAmount},
		{"USD just below minimum", "0.00", "USD", 0, ErrAmount},
		{"USD just above maximum", "1000000.01", "USD", 0, ErrAmount},
		{"USD eight digits", "10000000.00", "USD", 0, ErrAmount},
		{"exponent", "1e2", "USD", 0, ErrAmount},
		{"exponent with decimals", "1.00e2", "USD", 0, ErrAmount},
		{"plus sign", "+1", "USD", 0, ErrAmount},
		{"plus sign with decimals", "+1.00", "USD", 0, ErrAmount},
		{"minus sign", "-1", "USD", 0, ErrAmount},
		{"negative with decimals", "-1.00", "USD", 0, ErrAmount},
		{"leading space", " 1.00", "USD", 0, ErrAmount},
		{"trailing space", "1.00 ", "USD", 0, ErrAmount},
		{"three decimals", "1.001", "USD", 0, ErrAmount},
		{"one decimal", "1.0", "USD", 0, ErrAmount},
		{"no decimals for USD", "1", "USD", 0, ErrAmount},
		{"NaN", "NaN", "USD", 0, ErrAmount},
		{"Inf", "Inf", "USD", 0, ErrAmount},
		{"hex", "0x10", "USD", 0, ErrAmount},
		{"thousands separator", "1,000.00", "USD", 0, ErrAmount},
		{"underscore separator", "1_000.00", "USD", 0, ErrAmount},
		{"leading zero", "01.00", "USD", 0, ErrAmount},
		{"no whole part", ".50", "USD", 0, ErrAmount},
		{"no decimals after dot", "1.", "USD", 0, ErrAmount},
		{"full-width digit", "１.00", "USD", 0, ErrAmount},
		{"comma as decimal separator", "1,00", "USD", 0, ErrAmount},
		{"two dots", "1.0.0", "USD", 0, ErrAmount},
		{"currency symbol", "$1.00", "USD", 0, ErrAmount},
		{"empty", "", "USD", 0, ErrAmount},
		{"JPY with decimals", "1500.00", "JPY", 0, ErrAmount},
		{"JPY zero", "0", "JPY", 0, ErrAmount},
		{"JPY leading zero", "01500", "JPY", 0, ErrAmount},
		{"JPY just above maximum", "1000001", "JPY", 0, ErrAmount},
		{"JPY exponent", "1e3", "JPY", 0, ErrAmount},
		{"JPY sign", "+1500", "JPY", 0, ErrAmount},
		{"KRW with decimals", "50000.00", "KRW", 0, ErrAmount},
		{"KRW empty", "", "KRW", 0, ErrAmount},
		{"unknown currency", "1.00", "XXX", 0, ErrCurrency},
		{"empty currency", "1.00", "", 0, ErrCurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAmount(tt.in, tt.cur)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Zero(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAmountRoundTrip(t *testing.T) {
	all := append(Currencies(), CNY)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range all {
		t.Run(string(c), func(t *testing.T) {
			values := []int64{1, 9, 10, 99, 100, 101, 12345, c.MaxAmount() - 1, c.MaxAmount()}
			for range 200 {
				values = append(values, 1+rng.Int64N(c.MaxAmount()))
			}
			for _, v := range values {
				s, err := FormatAmount(v, c)
				require.NoError(t, err, "format %d", v)
				got, err := ParseAmount(s, c)
				require.NoError(t, err, "parse %q", s)
				assert.Equal(t, v, got, "round trip of %d through %q", v, s)
			}
		})
	}
}

func TestCurrency(t *testing.T) {
	tests := []struct {
		cur      Currency
		valid    bool
		exponent int
		max      int64
	}{
		{"USD", true, 2, 100_000_000},
		{"EUR", true, 2, 100_000_000},
		{"JPY", true, 0, 1_000_000},
		{"KRW", true, 0, 1_000_000},
		{CNY, true, 2, 100_000_000},
		{"XXX", false, -1, 0},
		{"usd", false, -1, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.cur), func(t *testing.T) {
			assert.Equal(t, tt.valid, tt.cur.Valid())
			assert.Equal(t, tt.exponent, tt.cur.Exponent())
			if tt.valid {
				assert.Equal(t, int64(1), tt.cur.MinAmount())
				assert.Equal(t, tt.max, tt.cur.MaxAmount())
			}
		})
	}
	cs := Currencies()
	assert.NotContains(t, cs, CNY, "CNY is not a settlement currency")
	for _, want := range []Currency{"USD", "EUR", "GBP", "HKD", "JPY", "KRW", "AUD", "CAD", "CHF", "SGD", "NZD", "SEK", "DKK", "NOK", "THB"} {
		assert.True(t, slices.Contains(cs, want), "Currencies() lacks %s", want)
	}
}

func TestAmountString(t *testing.T) {
	tests := []struct {
		a    Amount
		want string
	}{
		{Amount{35045, "USD"}, "350.45"},
		{Amount{1500, "JPY"}, "1500"},
		{Amount{5, "XXX"}, "5(minor XXX)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.a.String())
		})
	}
	a, err := ParseAmountOf("350.45", "USD")
	require.NoError(t, err)
	assert.Equal(t, Amount{Minor: 35045, Currency: "USD"}, a)
	_, err = ParseAmountOf("350.4", "USD")
	assert.ErrorIs(t, err, ErrAmount)
}

func TestParseAmountExact(t *testing.T) {
	tests := []struct {
		in   string
		c    Currency
		want int64 // 0: an error wrapping ErrAmount
	}{
		{"350.45", "USD", 35045},
		{"39.0", "USD", 3900},
		{"39", "USD", 3900},
		{"39.000", "USD", 3900},
		{"0039.10", "USD", 3910},
		{"0.01", "USD", 1},
		{"1000000", "USD", 100_000_000},
		{"1500", "JPY", 1500},
		{"1500.00", "JPY", 1500},
		{"1500.", "JPY", 0},
		{".5", "USD", 0},
		{"1500.50", "JPY", 0},
		{"350.455", "USD", 0},
		{"0.00", "USD", 0},
		{"0.001", "USD", 0},
		{"1000000.01", "USD", 0},
		{"10000000", "JPY", 0},
		{"00000000000000000001.00", "USD", 100},
		{"123456789012345678901234567890", "USD", 0},
		{"1e2", "USD", 0},
		{"-1.00", "USD", 0},
		{"+1.00", "USD", 0},
		{" 1.00", "USD", 0},
		{"1,000.00", "USD", 0},
		{"１.00", "USD", 0},
		{"", "USD", 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.c)+" "+tt.in, func(t *testing.T) {
			got, err := parseAmountExact(tt.in, tt.c)
			if tt.want == 0 {
				assert.ErrorIs(t, err, ErrAmount)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := parseAmountExact("1.00", "XXX")
	assert.ErrorIs(t, err, ErrCurrency)
}
