// Package mail sends the shop's e-mails to shoppers: it renders them (text
// and HTML, in the order's language, from templates and message catalogs
// compiled into the binary), sends them through SMTP or writes them to the
// log, and runs the worker that sends what the outbox holds.
//
// E-mails never block or fail a payment: models writes an outbox row in
// the transaction that marks an order paid, and the Worker sends it
// afterwards, retrying on a schedule, exactly once per row as far as the
// SMTP server's acceptance can tell.
package mail

import (
	"context"
	"errors"
	"log/slog"
	netmail "net/mail"
)

// Message is one e-mail, ready to send.
type Message struct {
	From    netmail.Address
	To      string // the address alone, as given at checkout
	Subject string
	Text    string // the text/plain part
	HTML    string // the text/html part
	Lang    string // Content-Language: "en" or "zh-Hans"
	// ID is the Message-ID without angle brackets. It is the same at
	// every attempt, so that a receiver can tell a resent copy.
	ID string
	// OrderNo is the order the e-mail is about, for the log.
	OrderNo string
}

// Sender sends messages.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// SenderFunc is a function that is a Sender.
type SenderFunc func(ctx context.Context, m *Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m *Message) error { return f(ctx, m) }

// ErrPermanent marks a failure that sending again cannot fix, such as a
// recipient the server says does not exist: the worker gives the message
// up at once instead of retrying.
var ErrPermanent = errors.New("permanent failure")

// All returns a Sender that sends through each of senders in turn and
// stops at the first error.
func All(senders ...Sender) Sender {
	return SenderFunc(func(ctx context.Context, m *Message) error {
		for _, s := range senders {
			if err := s.Send(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// Log returns a Sender that only writes, at info level, that a message
// would have gone out: its recipient, subject and order number. The body
// holds the shopper's name and address, and stays out of the log.
func Log(log *slog.Logger) Sender {
	return SenderFunc(func(ctx context.Context, m *Message) error {
		log.LogAttrs(ctx, slog.LevelInfo, "e-mail not sent: SMTP_URL is unset",
			slog.String("to", m.To), slog.String("subject", m.Subject), slog.String("order_no", m.OrderNo))
		return nil
	})
}
