package payment

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tenBeijing is 2026-03-01 10:00:00 in Beijing.
var tenBeijing = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

func TestTradeDeadline(t *testing.T) {
	c := coreMD5Client(t)
	newYork := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name    string
		svc     Service
		created time.Time
		valid   time.Duration
		rule    string
		want    Params    // "" = absent
		due     time.Time // zero: no deadline
	}{
		{"WAP", ServiceWAP, tenBeijing, 30 * time.Minute, "",
			Params{"order_gmt_create": "2026-03-01 10:00:00", "order_valid_time": "1800"}, tenBeijing.Add(30 * time.Minute)},
		{"PC", ServicePC, tenBeijing, 30 * time.Minute, "",
			Params{"order_gmt_create": "2026-03-01 10:00:00", "order_valid_time": "1800", "service": "create_forex_trade"}, tenBeijing.Add(30 * time.Minute)},
		{"with timeout_rule too", ServiceWAP, tenBeijing, time.Hour, "30m",
			Params{"order_gmt_create": "2026-03-01 10:00:00", "order_valid_time": "3600", "timeout_rule": "30m"}, tenBeijing.Add(time.Hour)},
		{"fraction of a second dropped, as on the wire", ServiceWAP, tenBeijing.Add(750 * time.Millisecond), time.Minute, "",
			Params{"order_gmt_create": "2026-03-01 10:00:00", "order_valid_time": "60"}, tenBeijing.Add(time.Minute)},
		{"created in another zone", ServiceWAP, tenBeijing.In(newYork), time.Second, "",
			Params{"order_gmt_create": "2026-03-01 10:00:00", "order_valid_time": "1"}, tenBeijing.Add(time.Second)},
		{"across midnight in Beijing", ServiceWAP, time.Date(2025, 12, 31, 16, 30, 0, 0, time.UTC), time.Minute, "",
			Params{"order_gmt_create": "2026-01-01 00:30:00"}, time.Date(2025, 12, 31, 16, 31, 0, 0, time.UTC)},
		{"30 days", ServicePC, tenBeijing, 2592000 * time.Second, "",
			Params{"order_valid_time": "2592000"}, tenBeijing.Add(30 * 24 * time.Hour)},
		{"order_gmt_create alone is no deadline", ServiceWAP, tenBeijing, 0, "",
			Params{"order_gmt_create": "2026-03-01 10:00:00", "order_valid_time": ""}, time.Time{}},
		{"neither", ServiceWAP, time.Time{}, 0, "", Params{"order_gmt_create": "", "order_valid_time": ""}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := coreA1Request()
			req.Service, req.OrderGMTCreate, req.OrderValidTime, req.TimeoutRule = tt.svc, tt.created, tt.valid, tt.rule
			due, ok := req.Deadline()
			assert.Equal(t, !tt.due.IsZero(), ok)
			assert.True(t, due.Equal(tt.due), "deadline %s, want %s", due, tt.due)

			p, err := c.SignedTrade(req)
			require.NoError(t, err)
			assert.NoError(t, Verify(sandboxMD5(t), p, ""))
			for k, want := range tt.want {
				got, has := p[k]
				assert.Equal(t, want != "", has, k)
				assert.Equal(t, want, got, k)
			}

			// What the gateway reads back has the same deadline.
			back, err := ParseTradeParams(p)
			require.NoError(t, err)
			bdue, bok := back.Deadline()
			assert.Equal(t, ok, bok)
			assert.True(t, bdue.Equal(due), "read back %s, want %s", bdue, due)
		})
	}
}

func TestTradeDeadlineVectorsUnchanged(t *testing.T) {
	// Without a deadline nothing new is signed: A1 and A2 through the builder.
	c := coreMD5Client(t)
	for svc, want := range map[Service]string{ServiceWAP: "c19f42a597963f118c4f99f2fc7f716f", ServicePC: "2dd75a3023c0a3a795a83109966bbc7d"} {
		req := coreA1Request()
		req.Service, req.ProductCode = svc, ""
		p, err := c.SignedTrade(req)
		require.NoError(t, err)
		delete(p, "product_code") // the vectors predate it
		signed, err := Sign(sandboxMD5(t), p)
		require.NoError(t, err)
		assert.Equal(t, want, signed["sign"], svc)
	}
}

func TestTradeDeadlineInvalid(t *testing.T) {
	c := coreMD5Client(t)
	tests := []struct {
		name    string
		svc     Service
		created time.Time
		valid   time.Duration
		field   string
	}{
		{"order_valid_time without order_gmt_create", ServiceWAP, time.Time{}, time.Hour, "order_valid_time"},
		{"under a second", ServiceWAP, tenBeijing, 500 * time.Millisecond, "order_valid_time"},
		{"negative", ServiceWAP, tenBeijing, -time.Hour, "order_valid_time"},
		{"over 30 days", ServicePC, tenBeijing, 2592001 * time.Second, "order_valid_time"},
		{"not whole seconds", ServiceWAP, tenBeijing, 1500 * time.Millisecond, "order_valid_time"},
		{"five-digit year", ServiceWAP, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour, "order_gmt_create"},
		{"three-digit year", ServiceWAP, time.Date(999, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour, "order_gmt_create"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := coreA1Request()
			req.Service, req.OrderGMTCreate, req.OrderValidTime = tt.svc, tt.created, tt.valid
			u, err := c.PayURL(req)
			assert.Empty(t, u)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "want a *ValidationError, got %v", err)
			assert.Equal(t, tt.field, ve.Field)
			assert.Equal(t, CodeIllegalArgument, ve.Code)
		})
	}
}

func TestParseTradeParamsDeadline(t *testing.T) {
	req := coreA1Request()
	req.OrderGMTCreate, req.OrderValidTime = tenBeijing, time.Hour
	base, err := coreMD5Client(t).SignedTrade(req)
	require.NoError(t, err)
	tests := []struct {
		name, key, value string
		field            string // "" = accepted
	}{
		{"as built", "order_valid_time", "3600", ""},
		{"30 days", "order_valid_time", "2592000", ""},
		{"leading zero", "order_valid_time", "03600", ""},
		{"zero seconds", "order_valid_time", "0", "order_valid_time"},
		{"negative", "order_valid_time", "-1", "order_valid_time"},
		{"over 30 days", "order_valid_time", "2592001", "order_valid_time"},
		{"overflowing", "order_valid_time", "99999999999999999999", "order_valid_time"},
		{"large enough to wrap a Duration", "order_valid_time", "9223372037", "order_valid_time"},
		{"fractional", "order_valid_time", "1.5", "order_valid_time"},
		{"fractional second", "order_gmt_create", "2026-03-01 10:00:00.5", "order_gmt_create"},
		{"ISO 8601", "order_gmt_create", "2026-03-01T10:00:00", "order_gmt_create"},
		{"single-digit month", "order_gmt_create", "2026-3-01 10:00:00", "order_gmt_create"},
		{"no seconds", "order_gmt_create", "2026-03-01 10:00", "order_gmt_create"},
		{"no such day", "order_gmt_create", "2026-02-30 10:00:00", "order_gmt_create"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseTradeParams(with(base, tt.key, tt.value))
			if tt.field == "" {
				require.NoError(t, err)
				assert.NotZero(t, r.OrderValidTime)
				return
			}
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "want a *ValidationError, got %v", err)
			assert.Equal(t, tt.field, ve.Field)
			assert.Equal(t, CodeIllegalArgument, ve.Code)
		})
	}
}

func TestAppDeadline(t *testing.T) {
	c, merchant, _ := coreRSAClient(t, RSA2)
	tests := []struct {
		name     string
		deadline time.Time
		want     string
	}{
		{"Beijing time", tenBeijing, "2026-03-01 10:00:00"},
		{"fraction of a second dropped", tenBeijing.Add(999 * time.Millisecond), "2026-03-01 10:00:00"},
		{"from another zone", tenBeijing.In(time.FixedZone("EST", -5*3600)).Add(time.Hour), "2026-03-01 11:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := coreAppRequest()
			req.ItBPayDeadline = tt.deadline
			due, ok := req.Deadline()
			require.True(t, ok)
			assert.True(t, due.Equal(tt.deadline.Truncate(time.Second)))

			s, err := c.AppOrderString(req)
			require.NoError(t, err)
			o, err := VerifyOrderString(merchant, s)
			require.NoError(t, err)
			assert.Equal(t, tt.want, o.Params()["it_b_pay"])
			assert.Contains(t, s, `&it_b_pay="`+tt.want+`"&`, "quoted as is in the order string")

			back, err := ParseAppParams(o.Params())
			require.NoError(t, err)
			assert.Empty(t, back.ItBPay)
			assert.True(t, back.ItBPayDeadline.Equal(due), "read back %s, want %s", back.ItBPayDeadline, due)
		})
	}
	t.Run("none", func(t *testing.T) {
		req := coreAppRequest()
		_, ok := req.Deadline()
		assert.False(t, ok)
	})
}

func TestAppDeadlineInvalid(t *testing.T) {
	c, _, _ := coreRSAClient(t, RSA2)
	tests := []struct {
		name string
		mod  func(*AppPayRequest)
		code string
	}{
		{"both relative and absolute", func(r *AppPayRequest) { r.ItBPay, r.ItBPayDeadline = "30m", tenBeijing }, CodeIllegalArgument},
		{"five-digit year", func(r *AppPayRequest) { r.ItBPayDeadline = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, CodeIllegalTimeoutRule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := coreAppRequest()
			tt.mod(&req)
			s, err := c.AppOrderString(req)
			assert.Empty(t, s)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "want a *ValidationError, got %v", err)
			assert.Equal(t, "it_b_pay", ve.Field)
			assert.Equal(t, tt.code, ve.Code)
		})
	}

	req := coreAppRequest()
	p, err := req.params(sandboxPartner)
	require.NoError(t, err)
	for _, v := range []string{"2026-03-01 10:00", "2026-03-01 10:00:00.5", "2026-03-01T10:00:00", "tomorrow"} {
		t.Run("wire value "+v, func(t *testing.T) {
			_, err := ParseAppParams(with(p, "it_b_pay", v))
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "want a *ValidationError, got %v", err)
			assert.Equal(t, "it_b_pay", ve.Field)
			assert.Equal(t, CodeIllegalTimeoutRule, ve.Code)
		})
	}
}
