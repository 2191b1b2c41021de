package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"shop/models"
)

// lookupPage is the order lookup form.
type lookupPage struct {
	page
	OrderNo string // as typed, shown again; the phone or e-mail never is
	Message string // why the last attempt found nothing
}

// lookupForm asks for an order number and the phone or e-mail given with it.
func (s *Server) lookupForm(c *gin.Context) {
	s.render(c, http.StatusOK, "lookup", lookupPage{page: s.newPage(c, "lookup.title")})
}

// findOrder checks an order number against the phone or e-mail given at
// checkout. On a match the browser may see the order, and pay or cancel
// it, as its owner does (for a day: see provenFor) and goes to it.
// Otherwise the answer is the same whether the order exists or not, and
// takes as long: one indexed query and the same comparisons either way.
// Each client address has its own share of the server's request limit
// for lookups, apart from its checkouts.
func (s *Server) findOrder(c *gin.Context) {
	if !s.limiter.allow("lookup "+c.ClientIP(), s.now()) {
		s.fail(c, errTooMany)
		return
	}
	orderNo := strings.ToUpper(strings.TrimSpace(c.PostForm("order_no")))
	typed := strings.TrimSpace(c.PostForm("contact"))
	if orderNo == "" || typed == "" || len(orderNo) > 64 || len(typed) > 254 {
		s.lookupFailed(c, orderNo, &ValidationError{Fields: map[string]string{"contact": "lookup.required"}})
		return
	}
	o, err := s.store.OrderRow(c.Request.Context(), orderNo)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		s.fail(c, err)
		return
	}
	var phone, email string // an order that does not exist matches nothing
	if err == nil {
		phone, email = o.Phone, o.Email
	}
	if !contactMatches(typed, phone, email) {
		s.lookupFailed(c, orderNo, errNoMatch)
		return
	}
	prove(c, o.OrderNo, s.now())
	s.redirect(c, "/orders/"+o.OrderNo)
}

// lookupFailed shows the form again under the status the error table
// gives err, with its message.
func (s *Server) lookupFailed(c *gin.Context, orderNo string, err error) {
	k := kindOf(err)
	s.logFailure(c, k, err)
	p := lookupPage{page: s.newPage(c, "lookup.title"), OrderNo: orderNo}
	p.Message = message(p.Lang, k.msgKey)
	var ve *ValidationError
	if errors.As(err, &ve) {
		p.Message = p.Lang.T(ve.Fields["contact"])
	}
	s.render(c, k.status, "lookup", p)
}

// contactMatches reports whether typed is the phone or the e-mail address
// given at checkout: phones compare by their digits only ("+852 9123-4567"
// is "85291234567"), e-mail addresses without regard to case. Both
// comparisons always run, on digests of equal length, so the time taken
// tells nothing of which one matched or how much of it; an empty phone or
// e-mail matches nothing.
func contactMatches(typed, phone, email string) bool {
	typedDigits, phoneDigits := digitsOf(typed), digitsOf(phone)
	typedEmail, givenEmail := strings.ToLower(typed), strings.ToLower(strings.TrimSpace(email))
	byPhone := sameDigest(typedDigits, phoneDigits) & flag(len(phoneDigits) >= 6)
	byEmail := sameDigest(typedEmail, givenEmail) & flag(strings.Contains(givenEmail, "@"))
	return byPhone|byEmail == 1
}

// sameDigest compares a and b in constant time through their SHA-256
// digests, whose length does not depend on theirs: 1 if equal, else 0.
func sameDigest(a, b string) int {
	da, db := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(da[:], db[:])
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// digitsOf returns the ASCII digits of s, in order.
func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
