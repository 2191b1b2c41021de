package sandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"time"

	"gorm.io/gorm/clause"
)

// Mail is an e-mail the merchant's application handed to the sandbox's
// mailbox instead of sending it: Alipay has no mailbox, but a developer
// trying the shop out wants to read what the shopper would get.
type Mail struct {
	ID        uint   `gorm:"primaryKey" json:"id"`
	MessageID string `gorm:"not null" json:"message_id"`
	From      string `gorm:"column:sender;not null" json:"from"`
	To        string `gorm:"column:recipient;not null" json:"to"`
	Subject   string `gorm:"not null" json:"subject"`
	Text      string `gorm:"column:text_body;not null" json:"text"`
	// HTML is shown only inside a sandboxed frame: it is the merchant's
	// markup, with the shopper's input in it.
	HTML       string    `gorm:"column:html_body;not null" json:"html"`
	ReceivedAt time.Time `gorm:"not null" json:"received_at"`
}

// TableName keeps the sandbox's tables apart from the shop's.
func (Mail) TableName() string { return "sandbox_mail" }

// maxMailBytes bounds one message, subject and bodies together.
const maxMailBytes = 1 << 20

// ReceiveMail puts m in the mailbox. A message whose MessageID the mailbox
// holds already is a copy sent again, and is not stored twice; one
// without a MessageID gets one.
func (s *Sandbox) ReceiveMail(ctx context.Context, m Mail) error {
	if m.To == "" {
		return errors.New("sandbox: mail without a recipient")
	}
	if n := len(m.Subject) + len(m.Text) + len(m.HTML); n > maxMailBytes {
		return fmt.Errorf("sandbox: mail of %d bytes; the mailbox takes %d at most", n, maxMailBytes)
	}
	if m.MessageID == "" {
		m.MessageID = rand.Text() + "@sandbox.invalid"
	}
	m.ID, m.ReceivedAt = 0, s.now()
	if err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&m).Error; err != nil {
		return fmt.Errorf("sandbox: store mail: %w", err)
	}
	return nil
}

// mailboxPage is the data of the mailbox page.
type mailboxPage struct {
	Prefix string
	Mail   []Mail
}

// policyPage is page data whose page needs a Content-Security-Policy of
// its own.
type policyPage interface {
	policy() string
}

// policy is the mailbox page's Content-Security-Policy: the console's,
// except that inline styles are allowed, since the e-mails shown in
// frames (which inherit the page's policy) are styled inline, as e-mails
// are. No script runs in the page or in the frames, whose sandbox
// attribute also gives them an origin of their own; nothing is loaded
// from anywhere, so an e-mail cannot call home.
func (mailboxPage) policy() string {
	return "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
}

// mailbox shows the newest messages with their text, their HTML rendered
// in a sandboxed frame, and their HTML source as text.
func (s *Sandbox) mailbox(w http.ResponseWriter, r *http.Request) {
	data := mailboxPage{Prefix: s.cfg.Prefix}
	if err := s.db.WithContext(r.Context()).Order("id DESC").Limit(50).Find(&data.Mail).Error; err != nil {
		s.internalError(w, err)
		return
	}
	s.render(w, http.StatusOK, "mailbox", data)
}

// apiMail lists the messages, oldest first: GET /api/mail, ?to= for one
// recipient's.
func (s *Sandbox) apiMail(w http.ResponseWriter, r *http.Request) {
	q := s.db.WithContext(r.Context()).Order("id")
	if to := r.URL.Query().Get("to"); to != "" {
		q = q.Where("recipient = ?", to)
	}
	var ms []Mail
	if err := q.Limit(500).Find(&ms).Error; err != nil {
		apiError(w, http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"mail": ms})
}
