package handlers

import (
	"errors"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"shop/models"
	"shop/payment"
)

// notifyCase is one notification sent to POST /alipay/notify for a fresh
// pending order o, and what must come of it.
type notifyCase struct {
	name   string
	opts   options
	verify verifyMode
	// setup runs after the order exists, before the notification is sent.
	setup func(t *testing.T, h *harness, o *models.Order)
	// body returns the request body and its Content-Type.
	body func(t *testing.T, h *harness, o *models.Order) (string, string)

	wantStatus  int
	wantBody    string
	wantVerdict models.Verdict // "" means no notification is stored
	wantOrder   models.Status  // the order's status afterwards
	wantFlagged bool
	// wantReject is the reason an unauthenticated notification is
	// counted under; it is never stored raw.
	wantReject string
}

// signedBody signs p with the harness's Alipay signer, lets edit change
// the signed parameters, and form-encodes them.
func signedBody(edit func(p payment.Params)) func(t *testing.T, h *harness, o *models.Order) (string, string) {
	return func(t *testing.T, h *harness, o *models.Order) (string, string) {
		p := sign(t, h.alipay, paidParams(o))
		if edit != nil {
			edit(p)
		}
		return p.Encode(), formType
	}
}

// signedWith signs the order's notification with another signer.
func signedWith(s func(t testing.TB) payment.Signer) func(t *testing.T, h *harness, o *models.Order) (string, string) {
	return func(t *testing.T, h *harness, o *models.Order) (string, string) {
		return sign(t, s(t), paidParams(o)).Encode(), formType
	}
}

// changed signs the order's notification after edit changed it: a genuine
// Alipay message whose content does not match the order.
func changed(edit func(p payment.Params)) func(t *testing.T, h *harness, o *models.Order) (string, string) {
	return func(t *testing.T, h *harness, o *models.Order) (string, string) {
		p := paidParams(o)
		edit(p)
		return sign(t, h.alipay, p).Encode(), formType
	}
}

func md5Signer(t testing.TB) payment.Signer {
	k, err := payment.NewMD5Key(testMD5Key)
	require.NoError(t, err)
	return k
}

func alipayRSA2Signer(t testing.TB) payment.Signer {
	s, err := payment.NewRSASigner(payment.RSA2, testKeys().alipay)
	require.NoError(t, err)
	return s
}

// strangerSigner signs RSA2 with a key that is not Alipay's (the
// merchant's own, which a thief of the merchant server would hold).
func strangerSigner(t testing.TB) payment.Signer {
	s, err := payment.NewRSASigner(payment.RSA2, testKeys().merchant)
	require.NoError(t, err)
	return s
}

// failNotificationInserts makes every INSERT into notifications fail, as a
// full disk or a broken file would.
func failNotificationInserts(t *testing.T, h *harness, _ *models.Order) {
	err := h.db.Gorm().Callback().Create().Before("gorm:create").Register("test:fail_notifications", func(tx *gorm.DB) {
		if tx.Statement.Table == "notifications" {
			_ = tx.AddError(errors.New("injected fault: disk I/O error"))
		}
	})
	require.NoError(t, err)
}

func TestNotifyChecklist(t *testing.T) {
	// rejected: not authentic. Counted under reason, not stored.
	rejected := func(name, reason string, body func(*testing.T, *harness, *models.Order) (string, string)) notifyCase {
		return notifyCase{name: name, body: body, wantStatus: http.StatusBadRequest, wantBody: "fail",
			wantReject: reason, wantOrder: models.StatusPending}
	}
	// disowned: signed correctly, but notify_verify says Alipay did not
	// send it to this merchant. Stored raw, refused.
	disowned := func(name string, verify verifyMode, body func(*testing.T, *harness, *models.Order) (string, string)) notifyCase {
		return notifyCase{name: name, verify: verify, body: body, wantStatus: http.StatusBadRequest, wantBody: "fail",
			wantVerdict: models.VerdictRejected, wantOrder: models.StatusPending}
	}
	// flagged: genuine but not applicable. Stored raw, flagged for a
	// person, never paid, answered success so that Alipay stops.
	flagged := func(name string, v models.Verdict, opts options, body func(*testing.T, *harness, *models.Order) (string, string)) notifyCase {
		return notifyCase{name: name, opts: opts, body: body, wantStatus: http.StatusOK, wantBody: "success",
			wantVerdict: v, wantOrder: models.StatusPending, wantFlagged: true}
	}
	noVerify := options{skipVerify: true}
	ours := func(edit func(p payment.Params)) func(*testing.T, *harness, *models.Order) (string, string) {
		return changed(func(p payment.Params) {
			p["seller_id"] = testPartner
			if edit != nil {
				edit(p)
			}
		})
	}
	deferred := func(name string, m verifyMode) notifyCase {
		return notifyCase{name: name, verify: m, opts: options{verifyWithin: 300 * time.Millisecond},
			body: signedBody(nil), wantStatus: http.StatusServiceUnavailable, wantBody: "fail",
			wantVerdict: models.VerdictDeferred, wantOrder: models.StatusPending}
	}
	md5 := func(c notifyCase) notifyCase {
		c.name += " (MD5)"
		c.opts.signType = payment.MD5
		return c
	}
	tests := []notifyCase{
		{name: "valid RSA2", body: signedBody(nil), wantStatus: http.StatusOK, wantBody: "success",
			wantVerdict: models.VerdictPaid, wantOrder: models.StatusPaid},
		md5(notifyCase{name: "valid", body: signedBody(nil), wantStatus: http.StatusOK, wantBody: "success",
			wantVerdict: models.VerdictPaid, wantOrder: models.StatusPaid}),
		{name: "valid TRADE_SUCCESS", body: changed(func(p payment.Params) { p["trade_status"] = "TRADE_SUCCESS" }),
			wantStatus: http.StatusOK, wantBody: "success", wantVerdict: models.VerdictPaid, wantOrder: models.StatusPaid},
		{name: "valid TRADE_CLOSED closes the order", body: changed(func(p payment.Params) { p["trade_status"] = "TRADE_CLOSED" }),
			wantStatus: http.StatusOK, wantBody: "success", wantVerdict: models.VerdictClosed, wantOrder: models.StatusClosed},

		rejected("missing signature", "signature", signedBody(func(p payment.Params) { delete(p, "sign") })),
		md5(rejected("missing signature", "signature", signedBody(func(p payment.Params) { delete(p, "sign"); delete(p, "sign_type") }))),
		rejected("empty signature", "signature", signedBody(func(p payment.Params) { p["sign"] = "" })),
		rejected("bad signature", "signature", signedBody(func(p payment.Params) { p["sign"] = strings.Repeat("A", 344) })),
		rejected("signed with another key", "signature", signedWith(strangerSigner)),
		md5(rejected("bad signature", "signature", signedBody(func(p payment.Params) { p["sign"] = strings.Repeat("0", 32) }))),
		rejected("sign_type MD5 while configured RSA2", "sign_type", signedWith(md5Signer)),
		md5(rejected("sign_type RSA2 while configured MD5", "sign_type", signedWith(alipayRSA2Signer))),
		rejected("tampered amount", "signature", signedBody(func(p payment.Params) { p["total_fee"] = "0.01" })),
		md5(rejected("tampered amount", "signature", signedBody(func(p payment.Params) { p["total_fee"] = "0.01" }))),
		rejected("tampered currency", "signature", signedBody(func(p payment.Params) { p["currency"] = "JPY" })),
		rejected("tampered trade status", "signature", signedBody(func(p payment.Params) { p["trade_status"] = "TRADE_SUCCESS" })),
		{name: "tampered order number", body: func(t *testing.T, h *harness, o *models.Order) (string, string) {
			other := h.createOrder(models.Item{ProductID: o.Lines[0].ProductID, Quantity: o.Lines[0].Quantity})
			p := sign(t, h.alipay, paidParams(o))
			p["out_trade_no"] = other.OrderNo
			return p.Encode(), formType
		}, wantStatus: http.StatusBadRequest, wantBody: "fail", wantReject: "signature", wantOrder: models.StatusPending},
		rejected("repeated key", "malformed", func(t *testing.T, h *harness, o *models.Order) (string, string) {
			body, ct := signedBody(nil)(t, h, o)
			return body + "&trade_status=TRADE_FINISHED", ct
		}),
		rejected("semicolon separator", "malformed", func(t *testing.T, h *harness, o *models.Order) (string, string) {
			body, ct := signedBody(nil)(t, h, o)
			return strings.Replace(body, "&", ";", 1), ct
		}),
		rejected("bad percent-encoding", "malformed", func(t *testing.T, h *harness, o *models.Order) (string, string) {
			body, ct := signedBody(nil)(t, h, o)
			return body + "&x=%zz", ct
		}),
		rejected("empty body", "signature", func(*testing.T, *harness, *models.Order) (string, string) { return "", formType }),
		// notify_verify cannot vouch for a notify_id it could never have
		// issued: asking again later will not help.
		disowned("malformed notify_id, correctly signed", verifyTrue, changed(func(p payment.Params) { p["notify_id"] = "has space" })),
		disowned("overlong notify_id, correctly signed", verifyTrue, changed(func(p payment.Params) { p["notify_id"] = strings.Repeat("a", 129) })),

		// Genuine, but not applicable: recorded for a person, never paid.
		flagged("another merchant's seller_id", models.VerdictUnbound, options{},
			changed(func(p payment.Params) { p["seller_id"] = "2088000000000001" })),
		flagged("no seller_id and notify_verify off", models.VerdictUnbound, noVerify, signedBody(nil)),
		md5(flagged("no seller_id and notify_verify off", models.VerdictUnbound, noVerify, signedBody(nil))),
		{name: "our seller_id, notify_verify off", opts: noVerify, body: ours(nil),
			wantStatus: http.StatusOK, wantBody: "success", wantVerdict: models.VerdictPaid, wantOrder: models.StatusPaid},
		{name: "our partner field, notify_verify off", opts: noVerify, body: changed(func(p payment.Params) { p["partner"] = testPartner }),
			wantStatus: http.StatusOK, wantBody: "success", wantVerdict: models.VerdictPaid, wantOrder: models.StatusPaid},
		flagged("notify_time in 2020", models.VerdictStale, noVerify, ours(func(p payment.Params) { p["notify_time"] = "2020-03-01 10:00:00" })),
		flagged("notify_time tomorrow", models.VerdictStale, noVerify,
			ours(func(p payment.Params) { p["notify_time"] = payment.FormatTime(time.Now().Add(24 * time.Hour)) })),
		flagged("notify_time before the order existed", models.VerdictStale, options{},
			changed(func(p payment.Params) { p["notify_time"] = payment.FormatTime(time.Now().Add(-time.Hour)) })),
		flagged("missing notify_id, correctly signed", models.VerdictUnreadable, options{}, changed(func(p payment.Params) { delete(p, "notify_id") })),
		flagged("missing currency, correctly signed", models.VerdictUnreadable, options{}, changed(func(p payment.Params) { delete(p, "currency") })),
		flagged("unreadable notify_time, correctly signed", models.VerdictUnreadable, options{},
			changed(func(p payment.Params) { p["notify_time"] = "02/01/2024 10:11" })),
		{name: "amount in another format, correctly signed", body: changed(func(p payment.Params) { p["total_fee"] = "78.0" }),
			wantStatus: http.StatusOK, wantBody: "success", wantVerdict: models.VerdictPaid, wantOrder: models.StatusPaid},

		{name: "unknown order", body: func(t *testing.T, h *harness, o *models.Order) (string, string) {
			ghost := *o
			ghost.OrderNo = "20250101ZZZZZZZZZZZZZZZZ"
			return sign(t, h.alipay, paidParams(&ghost)).Encode(), formType
		}, wantStatus: http.StatusOK, wantBody: "success", wantVerdict: models.VerdictUnknownOrder, wantOrder: models.StatusPending},
		{name: "amount mismatch, correctly signed", body: changed(func(p payment.Params) { p["total_fee"] = "0.01" }),
			wantStatus: http.StatusOK, wantBody: "success", wantVerdict: models.VerdictMismatch, wantOrder: models.StatusPending, wantFlagged: true},
		{name: "currency mismatch, correctly signed", body: changed(func(p payment.Params) { p["currency"] = "EUR" }),
			wantStatus: http.StatusOK, wantBody: "success", wantVerdict: models.VerdictMismatch, wantOrder: models.StatusPending, wantFlagged: true},
		{name: "payment after close", setup: func(t *testing.T, h *harness, o *models.Order) {
			closed, err := h.db.CloseOrder(t.Context(), o.OrderNo, "expired")
			require.NoError(t, err)
			require.True(t, closed)
		}, body: signedBody(nil),
			wantStatus: http.StatusOK, wantBody: "success", wantVerdict: models.VerdictAfterClose, wantOrder: models.StatusClosed, wantFlagged: true},

		disowned("notify_verify false", verifyFalse, signedBody(nil)),
		md5(disowned("notify_verify false", verifyFalse, signedBody(nil))),
		deferred("notify_verify 5xx", verify5xx),
		deferred("notify_verify unreachable", verifyReset),
		deferred("notify_verify timeout", verifyHang),

		{name: "database fault", setup: failNotificationInserts, body: signedBody(nil),
			wantStatus: http.StatusInternalServerError, wantBody: "fail", wantOrder: models.StatusPending},
		{name: "database fault while recording a disowned one", setup: failNotificationInserts, verify: verifyFalse,
			body: signedBody(nil), wantStatus: http.StatusInternalServerError, wantBody: "fail", wantOrder: models.StatusPending},
		{name: "database fault while flagging", setup: failNotificationInserts, opts: noVerify,
			body: signedBody(nil), wantStatus: http.StatusInternalServerError, wantBody: "fail", wantOrder: models.StatusPending},
		{name: "oversized body", body: func(t *testing.T, h *harness, o *models.Order) (string, string) {
			body, ct := signedBody(nil)(t, h, o)
			return body + "&pad=" + strings.Repeat("x", 64<<10), ct
		}, wantStatus: http.StatusRequestEntityTooLarge, wantBody: "fail", wantOrder: models.StatusPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.opts)
			h.gw.set(tt.verify)
			o := h.createOrder()
			stock := h.stock(o.Lines[0].ProductID)
			if tt.setup != nil {
				tt.setup(t, h, o)
			}
			orderBefore := h.order(o.OrderNo)
			body, ct := tt.body(t, h, o)

			res := h.postNotify(body, ct, nil)

			assert.Equal(t, tt.wantStatus, res.StatusCode)
			assert.Equal(t, tt.wantBody, res.Body)
			mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
			assert.NoError(t, err)
			assert.Equal(t, "text/plain", mt)
			assert.Empty(t, res.Header.Values("Set-Cookie"))

			require.NoError(t, h.settler.Flush(t.Context()))
			rejects, err := h.db.Rejects(t.Context(), 0)
			require.NoError(t, err)
			if tt.wantReject == "" {
				assert.Empty(t, rejects, "authenticated notifications are not counted as rejects")
			} else if assert.Len(t, rejects, 1) {
				assert.Equal(t, tt.wantReject, rejects[0].Reason)
				assert.EqualValues(t, 1, rejects[0].Count)
				assert.LessOrEqual(t, len(rejects[0].Sample), models.SampleLimit)
				assert.True(t, strings.HasPrefix(body, rejects[0].Sample), "a sample of what was sent")
			}

			ns := h.notifications()
			if tt.wantVerdict == "" {
				assert.Empty(t, ns, "nothing may be half-written")
			} else if assert.Len(t, ns, 1) {
				assert.Equal(t, tt.wantVerdict, ns[0].Verdict)
				assert.Equal(t, tt.wantVerdict.Flagged(), ns[0].Flagged)
				assert.Equal(t, body, ns[0].Body, "the raw body is kept")
				assert.NotEmpty(t, ns[0].Detail)
			}

			after := h.order(o.OrderNo)
			assert.Equal(t, tt.wantOrder, after.Status)
			assert.Equal(t, tt.wantFlagged, after.Flagged)
			if tt.wantOrder == models.StatusPaid {
				require.NotNil(t, after.TradeNo)
				assert.Equal(t, ns[0].TradeNo, *after.TradeNo)
				assert.Equal(t, stock, h.stock(o.Lines[0].ProductID), "paying does not touch stock")
			} else {
				assert.Nil(t, after.TradeNo, "never paid")
				assert.Nil(t, after.PaidAt)
			}
			if tt.wantOrder == orderBefore.Status && !tt.wantFlagged {
				assert.Equal(t, orderBefore.UpdatedAt, after.UpdatedAt, "the order is untouched")
			}
			// No other order was touched either.
			var others []models.Order
			require.NoError(t, h.db.Gorm().Where("id <> ?", o.ID).Find(&others).Error)
			for _, other := range others {
				assert.Equal(t, models.StatusPending, other.Status, other.OrderNo)
				assert.False(t, other.Flagged, other.OrderNo)
			}
		})
	}
}
