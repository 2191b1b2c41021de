package sandbox_test

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment/sandbox"
)

// hostileHTML is an e-mail body that would run script, load a tracker and
// reach into its parent if it were rendered as the page's own markup.
const hostileHTML = `<html><body><p style="color:#b42318">Order <b>paid</b></p>` +
	`<script>parent.document.title="pwned"</script><img src="https://tracker.example/p.gif" onerror="alert(1)">` +
	`</iframe><div id="escaped">inside</div></body></html>`

// TestMailbox feeds the mailbox through ReceiveMail and reads it through
// the control API, the mailbox page and the console: a message is stored
// once per Message-ID, and its HTML only ever reaches the page as the
// escaped srcdoc of a sandboxed frame and as escaped text.
func TestMailbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	c := ctx(t)
	paid := sandbox.Mail{MessageID: "order_paid.1.ABC@shop.example", From: `"Lantern & Leaf" <noreply@shop.example>`,
		To: "li@example.com", Subject: "Your order <ABC> is paid", Text: "Hello Li,\n<b>not bold</b>", HTML: hostileHTML}
	require.NoError(t, e.sb.ReceiveMail(c, paid))
	require.NoError(t, e.sb.ReceiveMail(c, paid), "a copy sent again is accepted")
	require.NoError(t, e.sb.ReceiveMail(c, sandbox.Mail{To: "wang@example.com", Subject: "other", Text: "hi"}))
	assert.Error(t, e.sb.ReceiveMail(c, sandbox.Mail{Subject: "nobody"}), "a recipient is needed")
	assert.Error(t, e.sb.ReceiveMail(c, sandbox.Mail{To: "li@example.com", HTML: strings.Repeat("x", 1<<20+1)}), "bounded")

	apiMail := func(query string) []sandbox.Mail {
		t.Helper()
		resp, body := e.get(e.srv.URL + "/sandbox/api/mail" + query)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Contains(t, resp.Header.Get("Content-Type"), "application/json")
		var out struct {
			Mail []sandbox.Mail `json:"mail"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &out))
		return out.Mail
	}
	t.Run("API", func(t *testing.T) {
		all := apiMail("")
		require.Len(t, all, 2, "the copy is stored once")
		assert.Equal(t, paid.MessageID, all[0].MessageID)
		assert.Equal(t, paid.HTML, all[0].HTML, "the API gives the body as it came")
		assert.Equal(t, paid.Text, all[0].Text)
		assert.Equal(t, paid.From, all[0].From)
		assert.False(t, all[0].ReceivedAt.IsZero())
		assert.NotEmpty(t, all[1].MessageID, "a message without an id gets one")
		li := apiMail("?to=li@example.com")
		require.Len(t, li, 1)
		assert.Equal(t, paid.Subject, li[0].Subject)
		assert.Empty(t, apiMail("?to=nobody@example.com"))
	})

	t.Run("page", func(t *testing.T) {
		resp, body := e.get(e.srv.URL + "/sandbox/mail")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		csp := resp.Header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "default-src 'none'", "no script, no frame source, nothing loaded")
		assert.NotContains(t, csp, "script-src")
		assert.NotContains(t, csp, "unsafe-eval")
		assert.Contains(t, csp, "frame-ancestors 'none'")

		frames := regexp.MustCompile(`<iframe sandbox srcdoc="([^"]*)"`).FindAllStringSubmatch(body, -1)
		require.Len(t, frames, 2, "each message's HTML in a frame with every sandbox restriction")
		assert.Equal(t, paid.HTML, html.UnescapeString(frames[1][1]), "the frame shows the HTML as it came")
		for _, bad := range []string{"<script", "<img", "</iframe><div", "onerror=\"alert", "<b>not bold</b>", "<ABC>"} {
			assert.NotContains(t, body, bad, "nothing of a message is markup of the page")
		}
		assert.NotContains(t, body, "allow-scripts")
		assert.NotContains(t, body, "allow-same-origin")
		assert.Contains(t, body, "Your order &lt;ABC&gt; is paid")
		assert.Contains(t, body, "&lt;b&gt;not bold&lt;/b&gt;", "the text part, escaped")
		assert.Contains(t, body, "&lt;script&gt;parent.document.title", "the HTML source, escaped")
	})

	t.Run("console", func(t *testing.T) {
		resp, body := e.get(e.srv.URL + "/sandbox/")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, body, "Mailbox")
		assert.Contains(t, body, `href="/sandbox/mail#mail-1"`)
		assert.Contains(t, body, "Your order &lt;ABC&gt; is paid")
		assert.NotContains(t, body, "<script")
		assert.NotContains(t, body, "<iframe", "bodies are on the mailbox page only")
	})
}
