package mail

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Bytes returns m as an RFC 5322 message dated date: multipart/alternative
// with the text part first and the HTML part last (the one a client shows
// if it can), both UTF-8 and quoted-printable, lines ending in CRLF.
func (m *Message) Bytes(date time.Time) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ typ, content string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(part.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}

	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("Date", date.Format(time.RFC1123Z))
	header("From", m.From.String()) // encodes a non-ASCII name (RFC 2047)
	header("To", (&netmail.Address{Address: m.To}).String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	if m.ID != "" {
		header("Message-ID", "<"+m.ID+">")
	}
	if m.Lang != "" {
		header("Content-Language", m.Lang)
	}
	// An order confirmation is not a person writing: vacation responders
	// must not answer it (RFC 3834).
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

// check refuses what would let a value escape its header: the addresses
// must parse as bare addresses, and no other header value may hold a line
// break. (The subject is encoded whenever it holds one.)
func (m *Message) check() error {
	for _, a := range []string{m.From.Address, m.To} {
		parsed, err := netmail.ParseAddress(a)
		if err != nil || parsed.Address != a {
			return fmt.Errorf("mail: %q is not an e-mail address", a)
		}
	}
	for _, v := range []string{m.From.Name, m.Lang} {
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("mail: header value %q holds a line break", v)
		}
	}
	if strings.ContainsAny(m.ID, "\r\n<> ") {
		return fmt.Errorf("mail: Message-ID %q holds a line break, a space or an angle bracket", m.ID)
	}
	return nil
}
