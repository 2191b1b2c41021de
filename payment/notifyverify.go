package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ErrNotifyNotVerified is wrapped when Alipay answers notify_verify with
// false: it did not issue the notify_id to this partner, or no longer
// vouches for it (it expires about a minute after delivery). The
// notification may be forged; do not retry, and do not act on it.
var ErrNotifyNotVerified = errors.New("payment: Alipay does not confirm the notification")

// NotifyVerify asks Alipay whether it issued notifyID (a notification's
// notify_id) to this partner. Call it right after ParseNotification
// accepted a notification, before acting on it: MD5 merchants especially,
// since the MD5 key can also forge notifications.
//
// It returns nil on Alipay's "true", an error wrapping ErrNotifyNotVerified
// on "false", and an error wrapping ErrGateway on anything else (Alipay's
// "invalid", an error page, a timeout): then the notification can neither
// be trusted nor rejected, so answer Alipay with a failure and it will
// deliver it again. A malformed notifyID is a *ValidationError.
func (c *Client) NotifyVerify(ctx context.Context, notifyID string) error {
	if err := checkNotifyID(notifyID); err != nil {
		return err
	}
	// Unsigned, as in Alipay's own demos: the question carries no secret.
	q := url.Values{"service": {string(ServiceNotifyVerify)}, "partner": {c.partner}, "notify_id": {notifyID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.gateway+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("payment: %s: %w", ServiceNotifyVerify, err)
	}
	body, _, err := c.do(req, ServiceNotifyVerify)
	if err != nil {
		return err
	}
	switch text := strings.TrimSpace(string(body)); text {
	case "true":
		return nil
	case "false":
		return fmt.Errorf("%w: notify_id %s", ErrNotifyNotVerified, notifyID)
	default:
		return fmt.Errorf("%w: %s: answer %q is neither true nor false", ErrGateway, ServiceNotifyVerify, clip(text))
	}
}

// checkNotifyID accepts 1 to 128 printable ASCII characters without spaces.
func checkNotifyID(id string) error {
	if id == "" {
		return invalid("notify_id", "is required")
	}
	if len(id) > 128 {
		return invalid("notify_id", "is %d characters; at most 128", len(id))
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return invalid("notify_id", "may hold only printable ASCII characters")
		}
	}
	return nil
}
