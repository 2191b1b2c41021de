package mail

import (
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/views"
)

// paidMail is an outbox row for a paid order in lang, with one line that
// has a Chinese name and one that has none, shipping, and a name and
// address that hold markup.
func paidMail(lang string) *models.Mail {
	trade := "2026120222001766016065020102"
	paid := time.Date(2026, 12, 2, 10, 26, 7, 0, time.UTC)
	return &models.Mail{ID: 42, Kind: models.MailOrderPaid, Recipient: "li@example.com", Order: &models.Order{
		ID: 7, OrderNo: "20261202LTEZWXRCCRJSFFZ2", Lang: lang, Status: models.StatusPaid, Currency: "USD",
		TotalMinor: 3900*2 + 1250 + 800, Name: `Li <script>alert("x")</script> Lei`, Email: "li@example.com",
		Address: "88 Century Avenue\n<b>Pudong</b>, Shanghai", TradeNo: &trade, PaidAt: &paid,
		Lines: []models.OrderLine{
			{Name: "Silk scarf", NameZH: "真丝围巾", UnitMinor: 3900, Quantity: 2},
			{Name: "Enamel pin", UnitMinor: 1250, Quantity: 1},
		},
	}}
}

func newTestRenderer(t *testing.T) *Renderer {
	t.Helper()
	r, err := NewRenderer(RendererConfig{BaseURL: "https://shop.example.com/", Location: time.FixedZone("CST", 8*3600)})
	require.NoError(t, err)
	return r
}

// TestRenderOrderPaid renders the confirmation in both languages: every
// fact of the order in the text part and the HTML part, the lines in the
// order's language, links to the order and the lookup, the shopper's input
// escaped in HTML, nothing loaded from anywhere.
func TestRenderOrderPaid(t *testing.T) {
	r := newTestRenderer(t)
	tests := []struct {
		lang                   string
		subject, tag, fromName string
		text                   []string // in the text part, as is
		html                   []string // in the HTML part, as is
	}{
		{"en", "Lantern & Leaf: your order 20261202LTEZWXRCCRJSFFZ2 is paid", "en", "Lantern & Leaf",
			[]string{
				`Hello Li <script>alert("x")</script> Lei,`,
				"Order number: 20261202LTEZWXRCCRJSFFZ2",
				"Paid on: 2026-12-02 18:26 CST",
				"Alipay trade number: 2026120222001766016065020102",
				"- 2 × Silk scarf: USD 78.00\n- 1 × Enamel pin: USD 12.50\nShipping: USD 8.00\nTotal: USD 98.50",
				"Delivery address:\n88 Century Avenue\n<b>Pudong</b>, Shanghai",
				"https://shop.example.com/orders/20261202LTEZWXRCCRJSFFZ2",
				"https://shop.example.com/orders/lookup",
			},
			[]string{
				`<html lang="en">`,
				"Hello Li &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Lei,",
				"<td style=\"padding:6px 4px;border-bottom:1px solid #eeeae0\">Silk scarf</td>",
				"USD 98.50", "Shipping", "Total",
				"&lt;b&gt;Pudong&lt;/b&gt;, Shanghai",
				`href="https://shop.example.com/orders/20261202LTEZWXRCCRJSFFZ2"`,
				`href="https://shop.example.com/orders/lookup"`,
				"View your order",
			}},
		{"zh", "灯与叶小店：您的订单 20261202LTEZWXRCCRJSFFZ2 已付款", "zh-Hans", "灯与叶小店",
			[]string{
				`Li <script>alert("x")</script> Lei，您好：`,
				"订单号：20261202LTEZWXRCCRJSFFZ2",
				"付款时间：2026-12-02 18:26 CST",
				"支付宝交易号：2026120222001766016065020102",
				"- 真丝围巾 × 2：USD 78.00\n- Enamel pin × 1：USD 12.50\n运费：USD 8.00\n合计：USD 98.50",
				"收货地址：\n88 Century Avenue",
				"https://shop.example.com/orders/20261202LTEZWXRCCRJSFFZ2",
				"https://shop.example.com/orders/lookup",
			},
			[]string{
				`<html lang="zh-Hans">`,
				"Li &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Lei，您好：",
				">真丝围巾</td>", ">Enamel pin</td>", "运费", "合计",
				`href="https://shop.example.com/orders/lookup"`,
				"查看订单",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			m, err := r.Render(paidMail(tt.lang))
			require.NoError(t, err)
			assert.Equal(t, tt.subject, m.Subject)
			assert.Equal(t, tt.tag, m.Lang)
			assert.Equal(t, "li@example.com", m.To)
			assert.Equal(t, netmail.Address{Name: tt.fromName, Address: "noreply@shop.example.com"}, m.From)
			assert.Equal(t, "order_paid.42.20261202LTEZWXRCCRJSFFZ2@shop.example.com", m.ID, "the same at every attempt")
			assert.Equal(t, "20261202LTEZWXRCCRJSFFZ2", m.OrderNo)
			for _, s := range tt.text {
				assert.Contains(t, m.Text, s)
			}
			for _, s := range tt.html {
				assert.Contains(t, m.HTML, s)
			}
			for _, part := range []string{m.Text, m.HTML} {
				assert.NotRegexp(t, `mail\.[a-z]+\.[a-z]+`, part, "every message key found")
				assert.NotContains(t, part, "<no value>")
			}
			assert.NotContains(t, m.HTML, "<script", "the shopper's input is text")
			assert.NotContains(t, m.HTML, "<b>")
			assert.NotRegexp(t, `(?i)<img|src=|url\(|<link|@import`, m.HTML, "no remote (or any) images or resources")
		})
	}
}

// TestRenderFrom: SMTP_FROM with a name keeps it; without one, the shop's
// name in the e-mail's language is shown.
func TestRenderFrom(t *testing.T) {
	r, err := NewRenderer(RendererConfig{BaseURL: "https://shop.example.com", From: "Orders <orders@mail.example.com>"})
	require.NoError(t, err)
	m, err := r.Render(paidMail("zh"))
	require.NoError(t, err)
	assert.Equal(t, netmail.Address{Name: "Orders", Address: "orders@mail.example.com"}, m.From)
	assert.True(t, strings.HasSuffix(m.ID, "@mail.example.com"))

	_, err = NewRenderer(RendererConfig{BaseURL: "https://shop.example.com", From: "not an address"})
	assert.ErrorContains(t, err, "not an e-mail address")
}

// TestRenderRefusesWhatItCannotSend: no order, an unknown kind.
func TestRenderRefusesWhatItCannotSend(t *testing.T) {
	r := newTestRenderer(t)
	_, err := r.Render(&models.Mail{ID: 1, Kind: models.MailOrderPaid})
	assert.ErrorIs(t, err, ErrPermanent)
	m := paidMail("en")
	m.Kind = "newsletter"
	_, err = r.Render(m)
	assert.ErrorIs(t, err, ErrPermanent)
}

func TestMoney(t *testing.T) {
	for _, tt := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{7800, "USD", "USD 78.00"}, {5, "EUR", "EUR 0.05"}, {123456789, "USD", "USD 1,234,567.89"},
		{1500, "JPY", "JPY 1,500"}, {100, "KRW", "KRW 100"}, {-250, "GBP", "GBP -2.50"},
	} {
		assert.Equal(t, tt.want, money(tt.minor, tt.currency))
	}
}

// TestMessageBytes: the message a server receives reads back as what was
// rendered: headers encoded, both parts decoded intact.
func TestMessageBytes(t *testing.T) {
	m, err := newTestRenderer(t).Render(paidMail("zh"))
	require.NoError(t, err)
	date := time.Date(2026, 12, 2, 10, 27, 0, 0, time.UTC)
	raw, err := m.Bytes(date)
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\r\n") {
		assert.LessOrEqual(t, len(line), 998, "SMTP's line limit")
		assert.NotContains(t, line, "\n", "every line ends in CRLF")
	}

	parsed := readMessage(t, raw)
	assert.Equal(t, m.Subject, parsed.subject)
	assert.Equal(t, m.From.String(), parsed.header.Get("From"))
	assert.Equal(t, "<li@example.com>", parsed.header.Get("To"))
	assert.Equal(t, "<"+m.ID+">", parsed.header.Get("Message-Id"))
	assert.Equal(t, "zh-Hans", parsed.header.Get("Content-Language"))
	assert.Equal(t, "auto-generated", parsed.header.Get("Auto-Submitted"))
	d, err := parsed.header.Date()
	require.NoError(t, err)
	assert.True(t, d.Equal(date))
	assert.Equal(t, m.Text, parsed.text)
	assert.Equal(t, m.HTML, parsed.html)
}

// TestMessageRefusesHeaderInjection: a recipient or a name that would
// add a header is refused.
func TestMessageRefusesHeaderInjection(t *testing.T) {
	for name, change := range map[string]func(*Message){
		"recipient": func(m *Message) { m.To = "li@example.com\r\nBcc: all@example.com" },
		"sender":    func(m *Message) { m.From.Address = "a@b.c\nBcc: x@y.z" },
		"name":      func(m *Message) { m.From.Name = "Shop\r\nBcc: x@y.z" },
		"id":        func(m *Message) { m.ID = "x@y>\r\nBcc: x@y.z" },
	} {
		t.Run(name, func(t *testing.T) {
			m := &Message{From: netmail.Address{Address: "shop@example.com"}, To: "li@example.com", Subject: "s", ID: "a@b"}
			change(m)
			_, err := m.Bytes(time.Now())
			assert.Error(t, err)
		})
	}
	m := &Message{From: netmail.Address{Address: "shop@example.com"}, To: "li@example.com", Subject: "Paid\r\nBcc: x@y.z"}
	raw, err := m.Bytes(time.Now())
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "\r\nBcc:", "a line break in the subject is encoded")
}

// parsedMessage is a message as a mail client reads it.
type parsedMessage struct {
	header     netmail.Header
	subject    string
	text, html string
}

// readMessage parses a multipart/alternative message; the parts come
// back with their transfer encoding undone and CRLF as "\n".
func readMessage(t *testing.T, raw []byte) parsedMessage {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	require.NoError(t, err)
	p := parsedMessage{header: msg.Header}
	p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mt)
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(part) // quoted-printable is undone by the reader
		require.NoError(t, err)
		body := strings.ReplaceAll(string(b), "\r\n", "\n")
		ct := part.Header.Get("Content-Type")
		types = append(types, ct)
		switch ct {
		case "text/plain; charset=utf-8":
			p.text = body
		case "text/html; charset=utf-8":
			p.html = body
		}
	}
	assert.Equal(t, []string{"text/plain; charset=utf-8", "text/html; charset=utf-8"}, types, "text first, HTML last")
	return p
}

// TestCatalogsMatch: the e-mails' messages exist in both languages with the
// same placeholders.
func TestCatalogsMatch(t *testing.T) {
	read := func(name string) map[string]string {
		b, err := fs.ReadFile(views.Locales(), name)
		require.NoError(t, err)
		var raw map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(b, &raw))
		out := map[string]string{}
		for k, v := range raw {
			var s string
			if json.Unmarshal(v, &s) != nil {
				var m struct{ Other string }
				require.NoError(t, json.Unmarshal(v, &m))
				s = m.Other
			}
			out[k] = s
		}
		return out
	}
	en, zh := read("mail.en.json"), read("mail.zh.json")
	require.NotEmpty(t, en)
	assert.ElementsMatch(t, slices.Collect(maps.Keys(en)), slices.Collect(maps.Keys(zh)))
	field := regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)
	names := func(s string) []string {
		var out []string
		for _, m := range field.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	for k, v := range en {
		assert.Equal(t, names(v), names(zh[k]), "%s: the same placeholders", k)
	}
}
