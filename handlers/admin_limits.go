package handlers

// How many sign-in attempts a client and an account get, and what is
// recorded of each.

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"shop/models"
)

// signInAllowed applies the sign-in limits to an attempt from this
// client at the account name.
func (s *Server) signInAllowed(c *gin.Context, name string, knownDevice bool) error {
	now, client := s.now(), c.ClientIP()
	// The store's counts are read before the attempt is recorded, so
	// attempts sent at once would all pass: the in-memory buckets (20 at
	// once, then one per 3 seconds) bound how many can. A known device
	// skips the account's, which strangers could otherwise drain.
	if !s.limiter.allow("sign-in from "+client, now) {
		return fmt.Errorf("%w: sign-in burst from %s", errTooMany, client)
	}
	if !knownDevice && !s.limiter.allow("sign-in to "+name, now) {
		return fmt.Errorf("%w: sign-in burst at %q", errLocked, name)
	}
	byClient, byName, err := s.admin.FailedLogins(c.Request.Context(), client, name, now.Add(-signInWindow))
	switch {
	case err != nil:
		return err
	case byClient >= maxClientFailures:
		s.log.Warn("admin sign-in refused: too many failures from this address", "client", client, "name", name, "failures", byClient)
		return fmt.Errorf("%w: %d failed sign-ins from %s", errTooMany, byClient, client)
	case !knownDevice && byName >= maxAccountFailures:
		s.log.Warn("admin sign-in refused: account locked for new browsers", "client", client, "name", name, "failures", byName)
		return fmt.Errorf("%w: %d failed sign-ins at %q from new browsers", errLocked, byName, name)
	}
	return nil
}

func (s *Server) recordAttempt(c *gin.Context, name string, knownDevice, ok bool) error {
	return s.admin.RecordLogin(c.Request.Context(), models.LoginAttempt{
		At: s.now(), Client: c.ClientIP(), Name: name, KnownDevice: knownDevice, OK: ok})
}

// passwordMatches checks password against st's. Without an account, or
// with a password too long to be anyone's (CheckPassword refuses those
// at once), it spends the time of a check all the same.
func (s *Server) passwordMatches(st *models.Staff, password string) bool {
	if st == nil || len(password) > models.MaxPasswordLen {
		models.SpendPasswordCheck(password[:min(len(password), models.MaxPasswordLen)], s.passwordCost)
		return false
	}
	return models.CheckPassword(st.PasswordHash, password)
}

// browserDetail describes the browser of an attempt for the audit log.
func browserDetail(c *gin.Context, knownDevice bool, reason string) string {
	d := "new browser"
	if knownDevice {
		d = "known browser"
	}
	if reason != "" {
		d = reason + "; " + d
	}
	return d + ": " + cutUTF8(c.Request.UserAgent(), 300)
}

// clipName cuts a name tried to maxNameLen bytes, as the store does with
// the names it records.
func clipName(s string) string { return cutUTF8(s, maxNameLen) }

// cutUTF8 cuts s to at most n bytes, on a character boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
