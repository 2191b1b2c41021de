package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"shop/models"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"
)

const sessionName = "shop"

// Session keys. Values are strings only, so that no type needs registering
// with encoding/gob.
const (
	keyOwner    = "owner"    // random id binding orders to this browser
	keyCart     = "cart"     // "productID:qty,productID:qty"
	keyLang     = "lang"     // "en" or "zh" once the shopper chose
	keyCheckout = "checkout" // idempotency key of the checkout form on screen
	keyFlash    = "flash"    // message key shown once
	// keyUnpaid names the order this browser's last checkout created while
	// it is unpaid: every page shows it in a banner, and the cart stays
	// until it is paid (then emptied) or closed (then kept).
	keyUnpaid = "unpaid"
	// keyOrdered is the cart that order was made from, as keyCart.
	keyOrdered = "ordered"
	// keyConfirming is that order's number once Alipay's return said it
	// was paid: the banner then says so instead of offering to pay.
	keyConfirming = "confirming"
	// keyProven lists the orders this browser proved it may see, by their
	// number and the shopper's phone or e-mail (the order lookup):
	// "orderNo@unixSeconds,orderNo@unixSeconds".
	keyProven = "proven"
)

// session loads the shopper's session. A cookie that no longer decodes
// (rotated key, tampering) starts a fresh session rather than failing.
func (s *Server) session(c *gin.Context) {
	sess, err := s.sessions.Get(c.Request, sessionName)
	if err != nil {
		sess, _ = s.sessions.New(c.Request, sessionName)
	}
	c.Set(sessionName, sess)
	c.Next()
}

func sessionOf(c *gin.Context) *sessions.Session {
	if v, ok := c.Get(sessionName); ok {
		return v.(*sessions.Session)
	}
	return sessions.NewSession(nil, sessionName) // routes without the middleware
}

func sessionString(c *gin.Context, key string) string {
	v, _ := sessionOf(c).Values[key].(string)
	return v
}

// save writes the session cookie; it must run before the response body.
// Routes outside the session middleware (and requests refused before it,
// such as cross-site posts) have no session to save and get no cookie,
// and neither does a browser that brought no session and was given
// nothing to remember: most anonymous page views, which then cost no
// encryption and stay free of Set-Cookie.
func (s *Server) save(c *gin.Context) error {
	v, ok := c.Get(sessionName)
	if !ok {
		return nil
	}
	sess := v.(*sessions.Session)
	if sess.IsNew && len(sess.Values) == 0 {
		return nil
	}
	return sess.Save(c.Request, c.Writer)
}

// ownerID returns this browser's owner id, creating it if needed.
func ownerID(c *gin.Context) string {
	sess := sessionOf(c)
	if id, ok := sess.Values[keyOwner].(string); ok && id != "" {
		return id
	}
	id := randomHex(16)
	sess.Values[keyOwner] = id
	return id
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cartLine is one product in the cart.
type cartLine struct {
	ProductID uint
	Quantity  int
}

// readCart decodes the cart, skipping anything malformed.
func readCart(c *gin.Context) []cartLine {
	return parseCart(sessionString(c, keyCart))
}

// parseCart decodes a cart's session value.
func parseCart(v string) []cartLine {
	var out []cartLine
	for _, part := range strings.Split(v, ",") {
		id, qty, ok := strings.Cut(part, ":")
		pid, err1 := strconv.ParseUint(id, 10, 32)
		n, err2 := strconv.Atoi(qty)
		if !ok || err1 != nil || err2 != nil || n < 1 || n > models.MaxQuantity || pid == 0 {
			continue
		}
		out = append(out, cartLine{ProductID: uint(pid), Quantity: n})
	}
	return out
}

// writeCart stores the cart, sorted, with at most 50 lines.
func writeCart(c *gin.Context, lines []cartLine) {
	sort.Slice(lines, func(i, j int) bool { return lines[i].ProductID < lines[j].ProductID })
	if len(lines) > 50 {
		lines = lines[:50]
	}
	parts := make([]string, 0, len(lines))
	for _, l := range lines {
		if l.Quantity > 0 {
			parts = append(parts, strconv.FormatUint(uint64(l.ProductID), 10)+":"+strconv.Itoa(l.Quantity))
		}
	}
	sessionOf(c).Values[keyCart] = strings.Join(parts, ",")
}

func cartCount(c *gin.Context) int {
	n := 0
	for _, l := range readCart(c) {
		n += l.Quantity
	}
	return n
}

// setCartQuantity sets (or, with 0, removes) a product's quantity.
func setCartQuantity(c *gin.Context, productID uint, qty int) {
	lines := readCart(c)
	out := lines[:0]
	found := false
	for _, l := range lines {
		if l.ProductID == productID {
			found = true
			l.Quantity = qty
		}
		if l.Quantity > 0 {
			out = append(out, l)
		}
	}
	if !found && qty > 0 {
		out = append(out, cartLine{ProductID: productID, Quantity: qty})
	}
	writeCart(c, out)
}

func flash(c *gin.Context, key string) {
	sessionOf(c).Values[keyFlash] = key
}

// takeFlash returns and clears the flash message key.
func takeFlash(c *gin.Context) string {
	sess := sessionOf(c)
	k, _ := sess.Values[keyFlash].(string)
	if k != "" {
		delete(sess.Values, keyFlash)
	}
	return k
}

// rememberUnpaid names orderNo, just made from the cart, as this
// browser's unpaid order.
func rememberUnpaid(c *gin.Context, orderNo string) {
	sess := sessionOf(c)
	sess.Values[keyUnpaid] = orderNo
	sess.Values[keyOrdered] = sessionString(c, keyCart)
	delete(sess.Values, keyConfirming)
}

// forgetUnpaid ends the unpaid-order banner. paid takes what was bought
// out of the cart: the quantities the order was made from, so that what
// the shopper added since stays.
func forgetUnpaid(c *gin.Context, paid bool) {
	if paid {
		bought := map[uint]int{}
		for _, l := range parseCart(sessionString(c, keyOrdered)) {
			bought[l.ProductID] += l.Quantity
		}
		lines := readCart(c)
		for i := range lines {
			lines[i].Quantity -= bought[lines[i].ProductID]
		}
		writeCart(c, lines) // drops the lines left at zero or less
	}
	sess := sessionOf(c)
	delete(sess.Values, keyUnpaid)
	delete(sess.Values, keyOrdered)
	delete(sess.Values, keyConfirming)
}

// Proof of an order's contact lasts a day, for a few orders at most: long
// enough to pay or cancel, short enough for a shared computer.
const (
	provenFor = 24 * time.Hour
	maxProven = 5
)

// provenOrders returns the orders this browser proved it may see, oldest
// first, without those whose proof has expired.
func provenOrders(c *gin.Context, now time.Time) []string {
	var out []string
	for _, part := range strings.Split(sessionString(c, keyProven), ",") {
		no, at, ok := strings.Cut(part, "@")
		sec, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil || no == "" {
			continue
		}
		if when := time.Unix(sec, 0); now.Before(when.Add(provenFor)) && !when.After(now) {
			out = append(out, part)
		}
	}
	return out
}

// isProven reports whether this browser proved, less than a day ago, that
// it knows the phone or e-mail given with orderNo.
func isProven(c *gin.Context, orderNo string, now time.Time) bool {
	for _, part := range provenOrders(c, now) {
		if no, _, _ := strings.Cut(part, "@"); no == orderNo {
			return true
		}
	}
	return false
}

// prove records that this browser proved it may see orderNo.
func prove(c *gin.Context, orderNo string, now time.Time) {
	kept := []string{}
	for _, part := range provenOrders(c, now) {
		if no, _, _ := strings.Cut(part, "@"); no != orderNo {
			kept = append(kept, part)
		}
	}
	kept = append(kept, orderNo+"@"+strconv.FormatInt(now.Unix(), 10))
	if len(kept) > maxProven {
		kept = kept[len(kept)-maxProven:]
	}
	sessionOf(c).Values[keyProven] = strings.Join(kept, ",")
}
