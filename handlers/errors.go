package handlers

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/pictures"
	"shop/settle"
)

// Errors the HTTP layer raises itself. Domain errors come from models,
// payment and settle.
var (
	errBadRequest   = errors.New("malformed request")
	errInvalidJSON  = errors.New("malformed JSON body")
	errTooLarge     = errors.New("request body too large")
	errTooMany      = errors.New("too many requests")
	errLocked       = errors.New("account locked for new browsers") // too many failed sign-ins
	errCrossOrigin  = errors.New("cross-origin request")
	errNoMethod     = errors.New("method not allowed")
	errBadReturn    = errors.New("unverifiable return from Alipay")
	errAppNeedsRSA  = errors.New("the app channel needs RSA or RSA2 signing")
	errInvalidInput = errors.New("invalid input")
	errNoMatch      = errors.New("no order with that number and contact") // the order lookup
)

// ValidationError lists what is wrong with a submitted form or JSON body:
// message keys by field. errors.Is(err, errInvalidInput) is true for it.
type ValidationError struct {
	Fields map[string]string
}

// Error lists the fields.
func (e *ValidationError) Error() string {
	names := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		names = append(names, f)
	}
	sort.Strings(names)
	return "invalid " + strings.Join(names, ", ")
}

// Is makes errors.Is(err, errInvalidInput) true.
func (e *ValidationError) Is(target error) bool { return target == errInvalidInput }

// errorKind is how one kind of error is answered: the HTTP status, the
// JSON API's error code and the message key shown to people.
type errorKind struct {
	err    error
	status int
	code   string
	msgKey string
}

// errorKinds is the one place errors become statuses, for HTML pages, the
// JSON API and the notify endpoint alike. The first entry the error
// matches (errors.Is) wins; anything else is a 500.
var errorKinds = []errorKind{
	{models.ErrNotFound, http.StatusNotFound, "not_found", "error.notfound"},
	{errNoMatch, http.StatusNotFound, "not_found", "lookup.nomatch"},
	{models.ErrOutOfStock, http.StatusConflict, "out_of_stock", "error.stock"},
	{models.ErrUnknownProduct, http.StatusUnprocessableEntity, "unknown_product", "error.unknownproduct"},
	{models.ErrEmptyOrder, http.StatusUnprocessableEntity, "invalid_order", "error.emptyorder"},
	{models.ErrQuantity, http.StatusUnprocessableEntity, "invalid_order", "error.quantity"},
	{models.ErrHoldLimit, http.StatusTooManyRequests, "hold_limit", "error.holdlimit"},
	{models.ErrTotal, http.StatusUnprocessableEntity, "invalid_order", "error.total"},
	{models.ErrChannel, http.StatusUnprocessableEntity, "invalid_order", "error.badrequest"},
	// A product priced in another currency than the shop's: nothing the
	// client can fix, and the start-up check should have caught it.
	{models.ErrCurrency, http.StatusConflict, "currency_mismatch", "error.currency"},
	{errInvalidInput, http.StatusUnprocessableEntity, "invalid_order", "error.invalid"},
	// The admin's actions.
	{models.ErrInvalid, http.StatusUnprocessableEntity, "invalid", "error.invalid"},
	{models.ErrPassword, http.StatusUnprocessableEntity, "invalid_password", "error.password"},
	{models.ErrStaffName, http.StatusUnprocessableEntity, "invalid_name", "error.staffname"},
	{models.ErrRefundExceeds, http.StatusConflict, "refund_exceeds", "error.refundexceeds"},
	{models.ErrState, http.StatusConflict, "wrong_state", "error.state"},
	{models.ErrResolved, http.StatusConflict, "already_resolved", "error.resolved"},
	{models.ErrOrdered, http.StatusConflict, "ordered", "catadmin.err.ordered"},
	{models.ErrStockShort, http.StatusConflict, "stock_short", "catadmin.err.stockshort"},
	// A product's pictures: uploads refused.
	{pictures.ErrFormat, http.StatusUnsupportedMediaType, "unsupported_picture", "pictures.err.format"},
	{pictures.ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large", "pictures.err.toolarge"},
	{pictures.ErrDimensions, http.StatusUnprocessableEntity, "picture_dimensions", "pictures.err.dimensions"},
	{pictures.ErrBroken, http.StatusUnprocessableEntity, "broken_picture", "pictures.err.broken"},
	{models.ErrDuplicatePicture, http.StatusConflict, "duplicate_picture", "pictures.err.duplicate"},
	{models.ErrTooManyPictures, http.StatusConflict, "too_many_pictures", "pictures.err.toomany"},
	{errAppNeedsRSA, http.StatusUnprocessableEntity, "channel_unavailable", "error.appchannel"},
	{errBadRequest, http.StatusBadRequest, "bad_request", "error.badrequest"},
	{errInvalidJSON, http.StatusBadRequest, "invalid_json", "error.badrequest"},
	{errBadReturn, http.StatusBadRequest, "bad_return", "error.return"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "too_large", "error.toolarge"},
	{errLocked, http.StatusTooManyRequests, "locked", "auth.locked"},
	{errTooMany, http.StatusTooManyRequests, "rate_limited", "error.toomany"},
	{errCrossOrigin, http.StatusForbidden, "cross_origin", "error.forbidden"},
	{errNoMethod, http.StatusMethodNotAllowed, "method_not_allowed", "error.badrequest"},
	// Notifications: a rejected one is recorded and refused for good; a
	// deferred one is answered with a 5xx so that Alipay sends it again.
	{settle.ErrRejected, http.StatusBadRequest, "rejected", "error.badrequest"},
	{settle.ErrDeferred, http.StatusServiceUnavailable, "retry_later", "error.internal"},
}

var internalError = errorKind{nil, http.StatusInternalServerError, "internal", "error.internal"}

// kindOf returns how err is answered.
func kindOf(err error) errorKind {
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k
		}
	}
	return internalError
}

// logFailure logs what went wrong: 5xx at error level with the cause,
// the rest at debug level (they are the client's doing).
func (s *Server) logFailure(c *gin.Context, k errorKind, err error) {
	if k.status >= 500 {
		s.log.Error("request failed", "path", c.Request.URL.Path, "status", k.status, "err", err)
		return
	}
	s.log.Debug("request refused", "path", c.Request.URL.Path, "status", k.status, "err", err)
}

// fail answers err: the error page for HTML routes, the JSON error for
// the API. Every handler error ends here.
func (s *Server) fail(c *gin.Context, err error) {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		s.apiFail(c, err)
		return
	}
	k := kindOf(err)
	s.logFailure(c, k, err)
	if k.status == http.StatusTooManyRequests {
		c.Header("Retry-After", "5")
	}
	p := errorPage{page: s.newPage(c, "error.title"), Status: k.status}
	p.Message = message(p.Lang, k.msgKey)
	// A page has no form fields to mark: the error page says what is wrong.
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, f := range slices.Sorted(maps.Keys(ve.Fields)) {
			p.Message += " " + message(p.Lang, ve.Fields[f])
		}
	}
	s.render(c, k.status, "error", p)
	c.Abort()
}

// apiFail answers err as {"error":{"code","message","fields"}}.
func (s *Server) apiFail(c *gin.Context, err error) {
	k := kindOf(err)
	s.logFailure(c, k, err)
	if k.status == http.StatusTooManyRequests {
		c.Header("Retry-After", "5")
	}
	body := gin.H{"code": k.code, "message": apiMessage(k, err)}
	var ve *ValidationError
	if errors.As(err, &ve) {
		fields := make(map[string]string, len(ve.Fields))
		for f, key := range ve.Fields {
			fields[f] = message(english, key)
		}
		body["fields"] = fields
	}
	c.AbortWithStatusJSON(k.status, gin.H{"error": body})
}

// apiMessage is the English message for an API error, with the detail a
// program can act on where the error carries one.
func apiMessage(k errorKind, err error) string {
	msg := message(english, k.msgKey)
	var se *models.StockError
	if errors.As(err, &se) {
		msg = fmt.Sprintf("%s: %s", msg, se.Error())
	}
	return msg
}

// limits are the bounds some error messages quote.
var limits = []any{"PerProduct", models.MaxQuantity, "PerOrder", models.MaxOrderUnits, "Held", models.MaxHeldUnits}

// message is the message for an error or a field, with the bounds it may
// quote filled in.
func message(l Lang, key string) string {
	return l.Tf(key, limits...)
}

// notifyFail answers a notification that was not applied with "fail", the
// only other word Alipay understands, and the status for err.
func (s *Server) notifyFail(c *gin.Context, err error) {
	k := kindOf(err)
	if k.status >= 500 {
		s.log.Error("notify: fail", "status", k.status, "err", err)
	} else {
		s.log.Warn("notify: fail", "status", k.status, "err", err)
	}
	c.Data(k.status, "text/plain; charset=utf-8", []byte("fail"))
}
