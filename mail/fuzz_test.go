package mail

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// headerLine is one header of a message, or the folded continuation of
// the previous one.
var headerLine = regexp.MustCompile(`^([A-Za-z-]+: |[ \t])`)

// FuzzMessageHeaders reads a sender (SMTP_FROM) with ParseFrom and writes
// a message to a fuzzed recipient, subject, language and id: nothing
// panics, and whatever is written has exactly the shop's headers, each
// once: no value can start a header of its own or end the header block.
func FuzzMessageHeaders(f *testing.F) {
	f.Add("Lantern & Leaf <shop@example.com>", "mei@example.com", "Your order LL-1 is paid", "en", "LL-1@example.com")
	f.Add("灯与叶 <shop@example.com>", "taro@example.jp", "ご注文 LL-2", "zh-Hans", "id")
	f.Add("", "x@y", "a\r\nBcc: victim@example.com", "en\r\nX: 1", "a b")
	f.Add("shop@example.com\r\nBcc: x@example.com", "a@b.c\nBcc: d@e.f", "=?utf-8?q?x?=", "", "")
	f.Add(`"Quote\" Name" <a@b.c>`, "<a@b.c>", strings.Repeat("長い件名", 40), "en", "")
	date := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, from, to, subject, lang, id string) {
		a, err := ParseFrom(from, "shop.example.com")
		if err != nil {
			return
		}
		m := &Message{From: *a, To: to, Subject: subject, Text: "text", HTML: "<p>html</p>", Lang: lang, ID: id}
		b, err := m.Bytes(date)
		if err != nil {
			return
		}
		head, _, ok := bytes.Cut(b, []byte("\r\n\r\n"))
		require.True(t, ok, "no end of headers")
		seen := map[string]int{}
		for _, line := range strings.Split(string(head), "\r\n") {
			mm := headerLine.FindStringSubmatch(line)
			require.NotNil(t, mm, "not a header line: %q", line)
			require.NotContains(t, line, "\n")
			require.NotContains(t, line, "\r")
			if mm[1] != " " && mm[1] != "\t" {
				seen[strings.TrimSuffix(mm[1], ": ")]++
			}
		}
		want := map[string]int{"Date": 1, "From": 1, "To": 1, "Subject": 1, "Auto-Submitted": 1, "MIME-Version": 1, "Content-Type": 1}
		if id != "" {
			want["Message-ID"] = 1
		}
		if lang != "" {
			want["Content-Language"] = 1
		}
		require.Equal(t, want, seen, "headers of %q", head)
	})
}
