package payment

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fileToday is "today" in these tests: 2024-01-12 in Beijing, shortly after
// midnight there (still 2024-01-11 in UTC).
var fileToday = time.Date(2024, 1, 11, 16, 30, 0, 0, time.UTC)

func bjDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, Beijing()) }

func bjTime(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, Beijing())
}

// fileClient is f's client with its clock at now.
func fileClient(t *testing.T, f *gwFixture, now time.Time) *Client {
	t.Helper()
	cfg := f.cfg
	cfg.Gateway, cfg.HTTPClient, cfg.Now = f.srv.URL+"/gateway.do", f.srv.Client(), func() time.Time { return now }
	c, err := NewClient(cfg)
	require.NoError(t, err)
	return c
}

// fileVector is a file as Alipay might send it, with a header, CRLF line
// ends, a blank line, trailing empty fields, a row without remarks, a
// JPY row written with decimals and the other time format, and a refund.
const fileVector = "\ufeffpartner_transaction_id|amount|currency|transaction_time|settlement_time|type|fee|status|remarks\r\n" +
	"20240102-5|350.45|USD|20240102101112|20240103000000|P|6.31|SUCCESS|\r\n" +
	"\r\n" +
	"R20240102-5-1|100.00|USD|20240102120000|20240103000000|R|1.80|SUCCESS|too small\r\n" +
	"JP-1|1500.00|JPY|2024-01-02 10:00:00||P|27|SUCCESS|||\n" +
	"EU-1|0.01|EUR|20240102235959|20240103000000|P|0.00|SUCCESS\n"

func TestParseFileVector(t *testing.T) {
	rows, err := parseFile(fileVector)
	require.NoError(t, err)
	want := []FileRow{
		{PartnerTransID: "20240102-5", Type: RowPayment, Amount: Amount{35045, "USD"}, Fee: Amount{631, "USD"},
			TransactionTime: bjTime(2024, 1, 2, 10, 11, 12), SettlementTime: bjDay(2024, 1, 3), Status: "SUCCESS", Line: 2},
		{PartnerTransID: "R20240102-5-1", Type: RowRefund, Amount: Amount{10000, "USD"}, Fee: Amount{180, "USD"},
			TransactionTime: bjTime(2024, 1, 2, 12, 0, 0), SettlementTime: bjDay(2024, 1, 3), Status: "SUCCESS", Remarks: "too small", Line: 4},
		{PartnerTransID: "JP-1", Type: RowPayment, Amount: Amount{1500, "JPY"}, Fee: Amount{27, "JPY"},
			TransactionTime: bjTime(2024, 1, 2, 10, 0, 0), Status: "SUCCESS", Line: 5},
		{PartnerTransID: "EU-1", Type: RowPayment, Amount: Amount{1, "EUR"}, Fee: Amount{0, "EUR"},
			TransactionTime: bjTime(2024, 1, 2, 23, 59, 59), SettlementTime: bjDay(2024, 1, 3), Status: "SUCCESS", Line: 6},
	}
	require.Len(t, rows, len(want))
	for i := range want {
		assert.Equal(t, want[i].PartnerTransID, rows[i].PartnerTransID)
		assert.Equal(t, want[i].Type, rows[i].Type)
		assert.Equal(t, want[i].Amount, rows[i].Amount)
		assert.Equal(t, want[i].Fee, rows[i].Fee)
		assert.True(t, want[i].TransactionTime.Equal(rows[i].TransactionTime), "row %d: %s", i, rows[i].TransactionTime)
		assert.True(t, want[i].SettlementTime.Equal(rows[i].SettlementTime), "row %d: %s", i, rows[i].SettlementTime)
		assert.Equal(t, want[i].Status, rows[i].Status)
		assert.Equal(t, want[i].Remarks, rows[i].Remarks)
		assert.Equal(t, want[i].Line, rows[i].Line)
	}
	assert.Equal(t, "2024-01-02T02:11:12Z", rows[0].TransactionTime.UTC().Format(time.RFC3339), "Beijing is UTC+8")
	assert.True(t, rows[2].SettlementTime.IsZero(), "empty settlement time")
}

func TestParseFileAmount(t *testing.T) {
	tests := []struct {
		s    string
		c    Currency
		want int64
		err  bool
	}{
		{"350.45", "USD", 35045, false},
		{"0.00", "USD", 0, false},
		{"0", "USD", 0, false},
		{"12.5", "USD", 1250, false},
		{"12.500", "USD", 1250, false},
		{"-1.80", "USD", -180, false},
		{"1500", "JPY", 1500, false},
		{"1500.00", "JPY", 1500, false},
		{"1000000.00", "USD", 100000000, false},
		{"9999999999999.99", "USD", 999999999999999, false},
		{"12.345", "USD", 0, true},
		{"1500.5", "JPY", 0, true},
		{"1e3", "USD", 0, true},
		{"1,000.00", "USD", 0, true},
		{"", "USD", 0, true},
		{".5", "USD", 0, true},
		{"5.", "USD", 0, true},
		{"+1.00", "USD", 0, true},
		{"--1", "USD", 0, true},
		{"12345678901234.00", "USD", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.s+" "+string(tt.c), func(t *testing.T) {
			got, err := parseFileAmount(tt.s, tt.c)
			if tt.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseFileRejects(t *testing.T) {
	row := "A-1|1.00|USD|20240102101112|20240103000000|P|0.02|SUCCESS|x"
	tests := []struct {
		name, body string
	}{
		{"empty body", ""},
		{"blank lines only", "\r\n\n  \n"},
		{"another text", "System exception"},
		{"Alipay's plain-text refusal", "Over 10 days to Date period"},
		{"HTML", "<html><body>busy</body></html>x"},
		{"seven fields", "A-1|1.00|USD|20240102101112|20240103000000|P|0.02"},
		{"ten fields, the tenth not empty", row + "|extra"},
		{"type neither P nor R", strings.Replace(row, "|P|", "|X|", 1)},
		{"lowercase type", strings.Replace(row, "|P|", "|p|", 1)},
		{"unknown currency", strings.Replace(row, "USD", "XYZ", 1)},
		{"amount with exponent", strings.Replace(row, "1.00", "1e0", 1)},
		{"fraction of a cent", strings.Replace(row, "1.00", "1.001", 1)},
		{"bad fee", strings.Replace(row, "0.02", "two", 1)},
		{"bad transaction time", strings.Replace(row, "20240102101112", "2024010210111", 1)},
		{"impossible date", strings.Replace(row, "20240102101112", "20240230101112", 1)},
		{"bad settlement time", strings.Replace(row, "20240103000000", "tomorrow", 1)},
		{"missing id", strings.Replace(row, "A-1", "", 1)},
		{"a good row, then a header-looking line", row + "\nid|amount|currency|t|s|type|fee|status|remarks"},
		{"no data text after rows", row + "\nNo balance account data in the period"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := parseFile(tt.body)
			assert.Error(t, err)
			assert.Nil(t, rows)
		})
	}
}

func TestParseFileNoData(t *testing.T) {
	for _, body := range []string{
		"No balance account data in the period",
		"No balance account data in the period\r\n",
		"No balance amount data in the period",
		"  no balance account data in the period  ",
		"id|amount|currency|transaction_time|settlement_time|type|fee|status|remarks\n", // a header alone
	} {
		t.Run(body, func(t *testing.T) {
			rows, err := parseFile(body)
			require.NoError(t, err)
			assert.NotNil(t, rows)
			assert.Empty(t, rows)
		})
	}
}

func TestFileRequestValidation(t *testing.T) {
	tests := []struct {
		name       string
		start, end time.Time
		field      string // "" when valid
		sent       [2]string
	}{
		{"one day, yesterday", bjDay(2024, 1, 11), bjDay(2024, 1, 11), "", [2]string{"20240111", "20240111"}},
		{"ten days", bjDay(2024, 1, 2), bjDay(2024, 1, 11), "", [2]string{"20240102", "20240111"}},
		{"across a month", bjDay(2023, 12, 28), bjDay(2024, 1, 6), "", [2]string{"20231228", "20240106"}},
		{"the Beijing date counts, not the UTC one", time.Date(2024, 1, 1, 16, 0, 0, 0, time.UTC), time.Date(2024, 1, 10, 23, 0, 0, 0, time.UTC),
			"", [2]string{"20240102", "20240111"}},
		{"eleven days", bjDay(2024, 1, 1), bjDay(2024, 1, 11), "end_date", [2]string{}},
		{"today", bjDay(2024, 1, 12), bjDay(2024, 1, 12), "end_date", [2]string{}},
		{"ending today", bjDay(2024, 1, 10), bjDay(2024, 1, 12), "end_date", [2]string{}},
		{"ending today, given in UTC", bjDay(2024, 1, 10), time.Date(2024, 1, 11, 16, 0, 0, 0, time.UTC), "end_date", [2]string{}},
		{"in the future", bjDay(2024, 2, 1), bjDay(2024, 2, 2), "end_date", [2]string{}},
		{"end before start", bjDay(2024, 1, 5), bjDay(2024, 1, 4), "end_date", [2]string{}},
		{"no start", time.Time{}, bjDay(2024, 1, 4), "start_date", [2]string{}},
		{"no end", bjDay(2024, 1, 4), time.Time{}, "end_date", [2]string{}},
	}
	for _, svc := range []Service{ServiceCompareFile, ServiceLiquidationFile} {
		for _, tt := range tests {
			t.Run(string(svc)+" "+tt.name, func(t *testing.T) {
				f := newGW(t, MD5, func(w http.ResponseWriter, _ *http.Request, _ Params) {
					_, _ = io.WriteString(w, "No balance account data in the period")
				})
				c := fileClient(t, f, fileToday)
				fetch := c.CompareFile
				if svc == ServiceLiquidationFile {
					fetch = c.LiquidationFile
				}
				rows, err := fetch(gwCtx(t), FileRequest{Start: tt.start, End: tt.end})
				if tt.field != "" {
					var ve *ValidationError
					require.ErrorAs(t, err, &ve)
					assert.Equal(t, tt.field, ve.Field)
					assert.Equal(t, CodeIllegalArgument, ve.Code)
					assert.Zero(t, f.hits.Load(), "nothing is sent")
					return
				}
				require.NoError(t, err)
				assert.Empty(t, rows)
				s := f.last(t)
				assert.Equal(t, http.MethodGet, s.Method)
				assert.Equal(t, Params{"service": string(svc), "partner": sandboxPartner, "_input_charset": "utf-8",
					"start_date": tt.sent[0], "end_date": tt.sent[1]}, gwWithout(s.Params, "sign", "sign_type"))

				// The gateway's parser applies the same rules to what was sent.
				r, err := ParseFileParams(s.Params, fileToday)
				require.NoError(t, err)
				assert.Equal(t, tt.sent[0], r.Start.In(Beijing()).Format("20060102"))
				assert.Equal(t, tt.sent[1], r.End.In(Beijing()).Format("20060102"))
			})
		}
	}
}

func TestParseFileParams(t *testing.T) {
	p := func(start, end string) Params {
		return Params{"service": string(ServiceCompareFile), "start_date": start, "end_date": end}
	}
	tests := []struct {
		name  string
		p     Params
		field string
	}{
		{"valid", p("20240102", "20240111"), ""},
		{"separators", p("2024-01-02", "20240111"), "start_date"},
		{"short", p("2024012", "20240111"), "start_date"},
		{"impossible date", p("20240102", "20240231"), "end_date"},
		{"missing end", p("20240102", ""), "end_date"},
		{"eleven days", p("20240101", "20240111"), "end_date"},
		{"today", p("20240112", "20240112"), "end_date"},
		{"not a file service", Params{"service": "forex_rate_file", "start_date": "20240102", "end_date": "20240102"}, "service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseFileParams(tt.p, fileToday)
			if tt.field == "" {
				require.NoError(t, err)
				assert.True(t, r.Start.Equal(bjDay(2024, 1, 2)))
				assert.True(t, r.End.Equal(bjDay(2024, 1, 11)))
				return
			}
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
		})
	}
}

func TestFetchFile(t *testing.T) {
	period := FileRequest{Start: bjDay(2024, 1, 2), End: bjDay(2024, 1, 3)}
	gbkRow, err := EncodeCharset("CN-1|10.00|USD|20240102101112|20240103000000|R|0.18|SUCCESS|退款", "GBK")
	require.NoError(t, err)
	tests := []struct {
		name        string
		contentType string
		body        func(f *gwFixture) []byte
		rows        int
		code        string // a *GatewayError
		want        error
	}{
		{"rows", "text/plain; charset=utf-8", func(*gwFixture) []byte { return []byte(fileVector) }, 4, "", nil},
		{"no data", "text/plain", func(*gwFixture) []byte { return []byte("No balance account data in the period") }, 0, "", nil},
		{"GBK remarks", "text/plain; charset=GBK", func(*gwFixture) []byte { return gbkRow }, 1, "", nil},
		{"GBK bytes labelled UTF-8", "text/plain; charset=utf-8", func(*gwFixture) []byte { return gbkRow }, 0, "", ErrGateway},
		{"unsigned refusal", "text/xml", func(*gwFixture) []byte {
			return gwDoc{Success: "F", Error: "ILLEGAL_ARGUMENT"}.bytes(t)
		}, 0, "ILLEGAL_ARGUMENT", nil},
		{"signed refusal", "text/xml", func(f *gwFixture) []byte {
			return gwDoc{Success: "F", Error: "HAS_NO_PRIVILEGE", Signer: f.alipay}.bytes(t)
		}, 0, "HAS_NO_PRIVILEGE", nil},
		{"refusal with a bad signature", "text/xml", func(f *gwFixture) []byte {
			return gwDoc{Success: "F", Error: "HAS_NO_PRIVILEGE", Sign: "00112233445566778899aabbccddeeff", SignType: string(f.alipay.SignType())}.bytes(t)
		}, 0, "", ErrSignature},
		{"XML success without a file", "text/xml", func(*gwFixture) []byte { return gwDoc{}.bytes(t) }, 0, "", ErrGateway},
		{"empty", "text/plain", func(*gwFixture) []byte { return nil }, 0, "", ErrGateway},
		{"plain-text refusal", "text/plain", func(*gwFixture) []byte { return []byte("Finish date not ahead of today") }, 0, "", ErrGateway},
	}
	for _, st := range gwSignTypes {
		for _, tt := range tests {
			t.Run(string(st)+" "+tt.name, func(t *testing.T) {
				var f *gwFixture
				f = newGW(t, st, func(w http.ResponseWriter, _ *http.Request, _ Params) {
					w.Header().Set("Content-Type", tt.contentType)
					_, _ = w.Write(tt.body(f))
				})
				c := fileClient(t, f, fileToday)
				for _, fetch := range []func() ([]FileRow, error){
					func() ([]FileRow, error) { return c.CompareFile(gwCtx(t), period) },
					func() ([]FileRow, error) { return c.LiquidationFile(gwCtx(t), period) },
				} {
					rows, err := fetch()
					switch {
					case tt.code != "":
						var ge *GatewayError
						require.ErrorAs(t, err, &ge)
						assert.Equal(t, tt.code, ge.Code)
						assert.NotErrorIs(t, err, ErrGateway)
					case tt.want != nil:
						assert.ErrorIs(t, err, tt.want)
						assert.Nil(t, rows)
					default:
						require.NoError(t, err)
						assert.Len(t, rows, tt.rows)
						if tt.name == "GBK remarks" {
							assert.Equal(t, "退款", rows[0].Remarks)
						}
					}
				}
				if tt.name == "refusal with a bad signature" {
					_, err := c.CompareFile(gwCtx(t), period)
					assert.False(t, errors.Is(err, ErrGateway), "a forged refusal is not transient")
				}
			})
		}
	}
}
