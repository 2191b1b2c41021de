package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"shop/models"
	"sort"
	"strconv"
	"strings"

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
// such as cross-site posts) have no session to save and get no cookie.
func (s *Server) save(c *gin.Context) error {
	v, ok := c.Get(sessionName)
	if !ok {
		return nil
	}
	return v.(*sessions.Session).Save(c.Request, c.Writer)
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
	var out []cartLine
	for _, part := range strings.Split(sessionString(c, keyCart), ",") {
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
