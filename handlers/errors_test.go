package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/pictures"
	"shop/settle"
)

// TestErrorMap pins how each kind of error is answered, and shows that the
// HTML page, the JSON API and the notify endpoint agree on the status.
func TestErrorMap(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		msg    string // the English message shown to people
	}{
		{"not found", fmt.Errorf("order x: %w", models.ErrNotFound), 404, "not_found", "We could not find that page."},
		{"out of stock", &models.StockError{ProductID: 1, Name: "Silk scarf", Available: 2}, 409, "out_of_stock", "Not enough stock"},
		{"unknown product", fmt.Errorf("product 9: %w", models.ErrUnknownProduct), 422, "unknown_product", ""},
		{"empty order", models.ErrEmptyOrder, 422, "invalid_order", ""},
		{"quantity", fmt.Errorf("x: %w", models.ErrQuantity), 422, "invalid_order", "An order can hold up to 20 of each product and 30 items in all."},
		{"held units", fmt.Errorf("x: %w", models.ErrHoldLimit), 429, "hold_limit", ""},
		{"total out of range", models.ErrTotal, 422, "invalid_order", ""},
		{"channel", models.ErrChannel, 422, "invalid_order", ""},
		{"currency", &models.CurrencyError{Want: "EUR", Stored: []string{"USD"}}, 409, "currency_mismatch", ""},
		{"validation", &ValidationError{Fields: map[string]string{"name": "err.name"}}, 422, "invalid_order", ""},
		{"app channel with MD5", errAppNeedsRSA, 422, "channel_unavailable", ""},
		{"bad request", fmt.Errorf("%w: checkout key", errBadRequest), 400, "bad_request", "That request could not be understood."},
		{"malformed JSON", errInvalidJSON, 400, "invalid_json", ""},
		{"unverifiable return", errBadReturn, 400, "bad_return", ""},
		{"too large", errTooLarge, 413, "too_large", ""},
		{"rate limited", errTooMany, 429, "rate_limited", "Too many requests. Please wait a moment and try again."},
		{"cross-origin", errCrossOrigin, 403, "cross_origin", ""},
		{"method", errNoMethod, 405, "method_not_allowed", ""},
		{"forged notification", fmt.Errorf("%w: bad sign", settle.ErrRejected), 400, "rejected", ""},
		{"notify_verify unreachable", fmt.Errorf("%w: timeout", settle.ErrDeferred), 503, "retry_later", ""},
		{"admin input", fmt.Errorf("x: %w", models.ErrInvalid), 422, "invalid", ""},
		{"password rules", models.ErrPassword, 422, "invalid_password", ""},
		{"account name", models.ErrStaffName, 422, "invalid_name", ""},
		{"refund too large", fmt.Errorf("x: %w", models.ErrRefundExceeds), 409, "refund_exceeds", ""},
		{"wrong order state", fmt.Errorf("x: %w", models.ErrState), 409, "wrong_state", ""},
		{"review resolved", models.ErrResolved, 409, "already_resolved", ""},
		{"account locked", errLocked, 429, "locked", ""},
		{"product ordered", fmt.Errorf("delete: %w", models.ErrOrdered), 409, "ordered", ""},
		{"stock short", fmt.Errorf("adjust: %w", models.ErrStockShort), 409, "stock_short", ""},
		{"picture format", fmt.Errorf("upload: %w", pictures.ErrFormat), 415, "unsupported_picture", ""},
		{"picture too large", pictures.ErrTooLarge, 413, "too_large", ""},
		{"picture dimensions", pictures.ErrDimensions, 422, "picture_dimensions", ""},
		{"broken picture", pictures.ErrBroken, 422, "broken_picture", ""},
		{"duplicate picture", models.ErrDuplicatePicture, 409, "duplicate_picture", ""},
		{"too many pictures", models.ErrTooManyPictures, 409, "too_many_pictures", ""},
		{"anything else", errors.New("disk on fire"), 500, "internal", "Sorry, something went wrong on our side. Please try again in a moment."},
	}
	h := newHarness(t, options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := kindOf(tt.err)
			assert.Equal(t, tt.status, k.status)
			assert.Equal(t, tt.code, k.code)
			assert.NotEqual(t, k.msgKey, message(english, k.msgKey), "message %q exists", k.msgKey)
			assert.NotEqual(t, k.msgKey, message(chinese, k.msgKey), "message %q exists in Chinese", k.msgKey)
			if tt.msg != "" {
				assert.Equal(t, tt.msg, message(english, k.msgKey))
			}

			// The same error through each path.
			r := gin.New()
			r.GET("/page", h.srv.session, func(c *gin.Context) { h.srv.fail(c, tt.err) })
			r.GET("/api/thing", func(c *gin.Context) { h.srv.fail(c, tt.err) })
			r.POST("/alipay/notify", func(c *gin.Context) { h.srv.notifyFail(c, tt.err) })

			page := httptest.NewRecorder()
			r.ServeHTTP(page, httptest.NewRequest(http.MethodGet, "/page", nil))
			assert.Equal(t, tt.status, page.Code, "HTML")
			assert.Contains(t, page.Body.String(), template.HTMLEscapeString(message(english, k.msgKey)))
			assert.NotContains(t, page.Body.String(), "disk on fire", "causes stay in the log")

			api := httptest.NewRecorder()
			r.ServeHTTP(api, httptest.NewRequest(http.MethodGet, "/api/thing", nil))
			assert.Equal(t, tt.status, api.Code, "JSON")
			var body struct {
				Error struct {
					Code    string            `json:"code"`
					Message string            `json:"message"`
					Fields  map[string]string `json:"fields"`
				} `json:"error"`
			}
			require.NoError(t, json.Unmarshal(api.Body.Bytes(), &body))
			assert.Equal(t, tt.code, body.Error.Code)
			assert.Contains(t, body.Error.Message, message(english, k.msgKey))
			var ve *ValidationError
			if errors.As(tt.err, &ve) {
				assert.Equal(t, map[string]string{"name": english.T("err.name")}, body.Error.Fields)
			}

			notify := httptest.NewRecorder()
			r.ServeHTTP(notify, httptest.NewRequest(http.MethodPost, "/alipay/notify", nil))
			assert.Equal(t, tt.status, notify.Code, "notify")
			assert.Equal(t, "fail", notify.Body.String())
		})
	}
}
