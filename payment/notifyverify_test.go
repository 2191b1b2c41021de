package payment

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const gwNotifyID = "0123456789abcdef0123456789abcdef0a"

func TestNotifyVerify(t *testing.T) {
	text := func(s string) gwAnswer {
		return func(w http.ResponseWriter, _ *http.Request, _ Params) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, s)
		}
	}
	tests := []struct {
		name   string
		answer gwAnswer
		want   error // nil: verified
	}{
		{"true", text("true"), nil},
		{"true with newline", text("true\r\n"), nil},
		{"false", text("false"), ErrNotifyNotVerified},
		{"false with spaces", text(" false\n"), ErrNotifyNotVerified},
		{"TRUE is not true", text("TRUE"), ErrGateway},
		{"invalid", text("invalid"), ErrGateway},
		{"empty", text(""), ErrGateway},
		{"HTML page", text("<html><body>true</body></html>"), ErrGateway},
		{"XML refusal", gwAnswerDoc(t, gwDoc{Success: "F", Error: "ILLEGAL_PARTNER"}), ErrGateway},
		{"500", func(w http.ResponseWriter, _ *http.Request, _ Params) {
			http.Error(w, "true", http.StatusInternalServerError)
		}, ErrGateway},
		{"slow", gwSlow, ErrGateway},
	}
	for _, st := range []SignType{MD5, RSA2} {
		for _, tt := range tests {
			t.Run(string(st)+" "+tt.name, func(t *testing.T) {
				f := newGW(t, st, tt.answer)
				ctx, cancel := context.WithTimeout(gwCtx(t), 200*time.Millisecond)
				defer cancel()
				err := f.client.NotifyVerify(ctx, gwNotifyID)
				if tt.name == "slow" {
					assert.ErrorIs(t, err, context.DeadlineExceeded, "stopped by its own deadline")
				}
				if tt.want == nil {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, tt.want)
					assert.NotErrorIs(t, err, map[error]error{ErrGateway: ErrNotifyNotVerified, ErrNotifyNotVerified: ErrGateway}[tt.want],
						"a forged notification and an unanswered question are different things")
				}
				s := f.last(t)
				assert.Equal(t, http.MethodGet, s.Method)
				assert.Empty(t, s.Form)
				assert.Equal(t, Params{"service": "notify_verify", "partner": sandboxPartner, "notify_id": gwNotifyID}, s.Query,
					"unsigned, exactly the three parameters of Alipay's demos")
			})
		}
	}
}

func TestNotifyVerifyDeadline(t *testing.T) {
	f := newGW(t, MD5, gwSlow)
	ctx, cancel := context.WithTimeout(gwCtx(t), 100*time.Millisecond)
	defer cancel()
	err := f.client.NotifyVerify(ctx, gwNotifyID)
	assert.ErrorIs(t, err, ErrGateway)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestNotifyVerifyValidation(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"typical", gwNotifyID, true},
		{"128 characters", strings.Repeat("a", 128), true},
		{"punctuation", "a-b_c.d~e!", true},
		{"empty", "", false},
		{"129 characters", strings.Repeat("a", 129), false},
		{"space", "abc def", false},
		{"newline", "abc\n", false},
		{"NUL", "abc\x00", false},
		{"DEL", "abc\x7f", false},
		{"non-ASCII", "abcé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGW(t, MD5, func(w http.ResponseWriter, _ *http.Request, _ Params) { _, _ = io.WriteString(w, "true") })
			err := f.client.NotifyVerify(gwCtx(t), tt.id)
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, tt.id, f.last(t).Query["notify_id"])
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "notify_id", ve.Field)
			assert.Zero(t, f.hits.Load())
		})
	}
}
