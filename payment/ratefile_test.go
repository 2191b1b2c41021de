package payment

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForexRates(t *testing.T) {
	file := "20240102|093000|USD|7.1234\r\n\r\n20240102|093000|JPY|0.048123\r\n20240102|093001|MOP|0.88\n\n"
	for _, st := range gwSignTypes {
		t.Run(string(st), func(t *testing.T) {
			f := newGW(t, st, func(w http.ResponseWriter, _ *http.Request, _ Params) {
				w.Header().Set("Content-Type", "text/plain; charset=GBK")
				_, _ = io.WriteString(w, file)
			})
			rates, err := f.client.ForexRates(gwCtx(t))
			require.NoError(t, err)
			at := time.Date(2024, 1, 2, 9, 30, 0, 0, Beijing())
			require.Len(t, rates, 3)
			assert.Equal(t, Rate{Currency: "USD", Rate: "7.1234", Time: at}, rates[0])
			assert.Equal(t, Rate{Currency: "JPY", Rate: "0.048123", Time: at}, rates[1])
			assert.Equal(t, Currency("MOP"), rates[2].Currency, "a currency this package does not know is still listed")
			assert.True(t, rates[2].Time.Equal(at.Add(time.Second)))
			assert.Equal(t, "2024-01-02T01:30:00Z", rates[0].Time.UTC().Format(time.RFC3339))

			s := f.last(t)
			assert.Equal(t, http.MethodGet, s.Method)
			assert.Equal(t, Params{"service": "forex_rate_file", "partner": sandboxPartner, "_input_charset": "utf-8"},
				gwWithout(s.Params, "sign", "sign_type"))
		})
	}
}

func TestForexRatesFailures(t *testing.T) {
	tests := []struct {
		name string
		body string
		code string // a *GatewayError; else ErrGateway
	}{
		{"empty file", "", ""},
		{"only blank lines", "\n\r\n  \n", ""},
		{"no-data text", "No exchange rate data in the period", ""},
		{"three fields", "20240102|093000|USD", ""},
		{"five fields", "20240102|093000|USD|7.1234|x", ""},
		{"bad date", "2024012|0930000|USD|7.1234", ""},
		{"impossible date", "20240230|093000|USD|7.1234", ""},
		{"bad time", "20240102|253000|USD|7.1234", ""},
		{"lowercase currency", "20240102|093000|usd|7.1234", ""},
		{"rate with exponent", "20240102|093000|USD|7e1", ""},
		{"rate as fraction", "20240102|093000|USD|71/10", ""},
		{"negative rate", "20240102|093000|USD|-7.1", ""},
		{"zero rate", "20240102|093000|USD|0.0000", ""},
		{"rate with comma", "20240102|093000|USD|7,1234", ""},
		{"rate with trailing dot", "20240102|093000|USD|7.", ""},
		{"one bad line among good ones", "20240102|093000|USD|7.1234\n20240102|093000|EUR|x\n", ""},
		{"HTML", "<html><body>error</body></html>", ""},
		{"XML refusal", string(gwDoc{Success: "F", Error: "HAS_NO_PRIVILEGE"}.bytes(t)), "HAS_NO_PRIVILEGE"},
		{"GBK XML refusal", string(gwDoc{Encoding: "GBK", Success: "F", Error: "ILLEGAL_PARTNER"}.bytes(t)), "ILLEGAL_PARTNER"},
		{"XML success without rates", string(gwDoc{}.bytes(t)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGW(t, MD5, func(w http.ResponseWriter, _ *http.Request, _ Params) { _, _ = io.WriteString(w, tt.body) })
			rates, err := f.client.ForexRates(gwCtx(t))
			assert.Nil(t, rates)
			if tt.code != "" {
				var ge *GatewayError
				require.ErrorAs(t, err, &ge)
				assert.Equal(t, tt.code, ge.Code)
				assert.Equal(t, ServiceRateFile, ge.Service)
				assert.NotErrorIs(t, err, ErrGateway)
				return
			}
			assert.ErrorIs(t, err, ErrGateway)
		})
	}
}

func TestRateToCNY(t *testing.T) {
	tests := []struct {
		name string
		rate Rate
		a    Amount
		want int64
	}{
		{"100.00 USD", Rate{Currency: "USD", Rate: "7.1234"}, Amount{10000, "USD"}, 71234},
		{"350.45 USD", Rate{Currency: "USD", Rate: "7.1234"}, Amount{35045, "USD"}, 249640},            // 249639.553 fen
		{"0.01 USD rounds down", Rate{Currency: "USD", Rate: "7.1234"}, Amount{1, "USD"}, 7},           // 7.1234 fen
		{"exactly half rounds up", Rate{Currency: "USD", Rate: "0.5"}, Amount{1, "USD"}, 1},            // 0.5 fen
		{"just under half rounds down", Rate{Currency: "USD", Rate: "0.4999999"}, Amount{1, "USD"}, 0}, // 0.4999999 fen
		{"just over half rounds up", Rate{Currency: "USD", Rate: "0.5000001"}, Amount{1, "USD"}, 1},    // 0.5000001 fen
		{"1.5 fen", Rate{Currency: "USD", Rate: "1.5"}, Amount{1, "USD"}, 2},
		{"2.5 fen rounds up, not to even", Rate{Currency: "USD", Rate: "2.5"}, Amount{1, "USD"}, 3},
		{"JPY has no decimals", Rate{Currency: "JPY", Rate: "0.048123"}, Amount{1500, "JPY"}, 7218}, // 7218.45 fen
		{"JPY half", Rate{Currency: "JPY", Rate: "0.04805"}, Amount{1, "JPY"}, 5},                   // 4.805 fen
		{"KRW", Rate{Currency: "KRW", Rate: "0.0054"}, Amount{1_000_000, "KRW"}, 540000},
		{"zero", Rate{Currency: "USD", Rate: "7.1234"}, Amount{0, "USD"}, 0},
		{"float trap 0.1+0.2", Rate{Currency: "USD", Rate: "0.3"}, Amount{105, "USD"}, 32}, // 31.5 fen
		{"max amount", Rate{Currency: "USD", Rate: "9999.999999"}, Amount{100_000_000, "USD"}, 999_999_999_900},
		{"long rate", Rate{Currency: "EUR", Rate: "7.77777777777777777777"}, Amount{300, "EUR"}, 2333},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rate.ToCNY(tt.a)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRateToCNYErrors(t *testing.T) {
	tests := []struct {
		name string
		rate Rate
		a    Amount
		want error
	}{
		{"other currency", Rate{Currency: "USD", Rate: "7.1"}, Amount{100, "EUR"}, ErrCurrency},
		{"unknown currency", Rate{Currency: "MOP", Rate: "0.88"}, Amount{100, "MOP"}, ErrCurrency},
		{"negative amount", Rate{Currency: "USD", Rate: "7.1"}, Amount{-100, "USD"}, ErrAmount},
		{"empty rate", Rate{Currency: "USD"}, Amount{100, "USD"}, ErrAmount},
		{"float-looking rate", Rate{Currency: "USD", Rate: "7.1e0"}, Amount{100, "USD"}, ErrAmount},
		{"zero rate", Rate{Currency: "USD", Rate: "0"}, Amount{100, "USD"}, ErrAmount},
		{"overflow", Rate{Currency: "USD", Rate: "999999999999999999999"}, Amount{100, "USD"}, ErrAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.rate.ToCNY(tt.a)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}
