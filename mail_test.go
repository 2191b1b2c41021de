package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment/sandbox"
)

// TestOrderConfirmationInSandbox: a checkout with an e-mail address, paid
// in the sandbox, leaves exactly one confirmation in the sandbox's mailbox,
// in the language of the checkout, and the outbox records it sent.
func TestOrderConfirmationInSandbox(t *testing.T) {
	tests := []struct {
		lang    string
		subject string // %s is the order number
		text    []string
		total   string // %s is the total_fee of the order API
	}{
		{"en", "Lantern & Leaf: your order %s is paid",
			[]string{"Hello Li Lei,", "1 × Silk scarf: USD 39.00", "Alipay trade number: ", "88 Century Avenue, Pudong, Shanghai"},
			"Total: USD %s"},
		{"zh", "灯与叶小店：您的订单 %s 已付款",
			[]string{"Li Lei，您好：", "真丝围巾 × 1：USD 39.00", "支付宝交易号：", "88 Century Avenue, Pudong, Shanghai"},
			"合计：USD %s"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			shop := startShop(t, nil)
			email := "li." + tt.lang + "@example.com"
			orderNo := checkoutAndPay(t, shop, tt.lang, email)

			msgs := waitMail(t, shop, email)
			require.Len(t, msgs, 1, "one confirmation per paid order")
			m := msgs[0]
			assert.Equal(t, fmt.Sprintf(tt.subject, orderNo), m.Subject)
			for _, s := range append(tt.text, orderNo, shop.URL+"/orders/"+orderNo, shop.URL+"/orders/lookup",
				fmt.Sprintf(tt.total, orderTotalFee(t, shop, orderNo))) {
				assert.Contains(t, m.Text, s)
			}
			assert.Contains(t, m.HTML, `href="`+shop.URL+"/orders/"+orderNo+`"`)
			base, err := url.Parse(shop.URL)
			require.NoError(t, err)
			assert.Contains(t, m.From, "<noreply@"+base.Hostname()+">", "SMTP_FROM unset: noreply@ the host of BASE_URL")

			o, err := shop.app.db.OrderByNo(context.Background(), orderNo)
			require.NoError(t, err)
			require.Eventually(t, func() bool {
				ms, err := shop.app.db.MailOf(context.Background(), o.ID)
				return err == nil && len(ms) == 1 && ms[0].Status == models.MailSent
			}, time.Minute, 10*time.Millisecond, "the outbox records the e-mail sent")

			res, err := shop.http.Get(shop.URL + "/sandbox/mail")
			require.NoError(t, err)
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			assert.Contains(t, string(page), orderNo, "the mailbox page shows it")
		})
	}
}

// checkoutAndPay runs a shopper in lang through cart, checkout (with the
// e-mail address) and the sandbox's cashier, and waits until the order is
// paid. It returns the order number.
func checkoutAndPay(t *testing.T, shop *testShop, lang, email string) string {
	t.Helper()
	b := newShopper(t, iPhone)
	if lang != "en" {
		res, body := b.do("GET", shop.URL+"/lang/"+lang, nil)
		follow(t, res, body)
	}
	res, body := b.do("POST", shop.URL+"/cart/items", url.Values{"product_id": {"1"}, "quantity": {"1"}})
	follow(t, res, body)
	_, form := b.do("GET", shop.URL+"/checkout", nil)
	key := checkoutKeyRE.FindStringSubmatch(form)
	require.NotNil(t, key, "checkout form has a checkout_key")
	res, body = b.do("POST", shop.URL+"/checkout", url.Values{"name": {"Li Lei"}, "phone": {"+86 138 0013 8000"}, "email": {email},
		"address": {"88 Century Avenue, Pudong, Shanghai"}, "checkout_key": {key[1]}})
	gateway := follow(t, res, body)
	gw, err := url.Parse(gateway)
	require.NoError(t, err)
	orderNo := gw.Query().Get("out_trade_no")
	require.NotEmpty(t, orderNo)
	res, body = b.do("GET", gateway, nil)
	cashier := follow(t, res, body)
	res, body = b.do("POST", cashier+"/pay", url.Values{})
	follow(t, res, body)
	waitPaid(t, shop, orderNo)
	return orderNo
}

// waitMail waits until the sandbox's mailbox holds mail for to, and
// returns all of it.
func waitMail(t *testing.T, shop *testShop, to string) []sandbox.Mail {
	t.Helper()
	var msgs []sandbox.Mail
	require.Eventually(t, func() bool {
		res, err := shop.http.Get(shop.URL + "/sandbox/api/mail?to=" + url.QueryEscape(to))
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var out struct {
			Mail []sandbox.Mail `json:"mail"`
		}
		if json.NewDecoder(res.Body).Decode(&out) != nil {
			return false
		}
		msgs = out.Mail
		return len(msgs) > 0
	}, time.Minute, 10*time.Millisecond, "no e-mail for %s reached the sandbox's mailbox", to)
	return msgs
}

type orderFee struct {
	TotalFee string `json:"total_fee"`
}

// orderTotalFee returns the total_fee the order API shows for an order.
func orderTotalFee(t *testing.T, shop *testShop, orderNo string) string {
	t.Helper()
	res, err := shop.http.Get(shop.URL + "/api/orders/" + orderNo)
	require.NoError(t, err)
	defer res.Body.Close()
	var o orderFee
	require.NoError(t, json.NewDecoder(res.Body).Decode(&o))
	return o.TotalFee
}

// TestMailboxInBrowser opens the sandbox's mailbox in Chromium with a
// hostile e-mail in it: the e-mail is shown, in a frame the page cannot
// reach into (its own, opaque, origin), and its script never runs.
func TestMailboxInBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	shop := startShop(t, nil)
	hostile := `<html><body><p id="before">Your order is paid</p>` +
		`<script>document.body.dataset.ran = "yes"; top.location = "https://evil.example/";</script>` +
		`<img src="https://tracker.example/p.gif" onerror="document.body.dataset.ran = 'img'">` +
		`<p id="after">after the script</p></body></html>`
	require.NoError(t, shop.app.sandbox.ReceiveMail(context.Background(), sandbox.Mail{
		MessageID: "hostile@example.com", From: "shop@example.com", To: "li@example.com", Subject: "Hostile", Text: "hi", HTML: hostile}))

	browser := startBrowser(t, chromium)
	tab := newTab(t, browser, 375)
	do(t, tab, "open the mailbox", chromedp.Navigate(shop.URL+"/sandbox/mail"),
		chromedp.WaitVisible(chromedp.CSS(`iframe[data-testid=mail-html]`)))
	assert.Equal(t, "/sandbox/mail", path(t, tab), "the e-mail did not navigate the page")
	assert.Equal(t, "off", eval[string](t, tab, scriptProbe), "the mailbox page's own policy refuses script")
	assert.True(t, eval[bool](t, tab, `(() => { const f = document.querySelector("iframe[data-testid=mail-html]");
		return f.sandbox.length === 0 && f.contentDocument === null; })()`),
		"the frame is sandboxed with no allowance: the page cannot reach into it")

	// A sandboxed frame has an origin of its own, which Chromium may put
	// in a process of its own: a target beside the page's.
	frameTab, frame := srcdocFrame(t, tab)
	assert.Equal(t, "about:srcdoc", frame.URL, "the frame shows the e-mail, not an error the policy made")
	// A world of the test's own in the frame reads its document once it
	// is parsed past the script: the e-mail is there, and its script did
	// not run.
	world, err := chromedp.Call(frameTab, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: frame.ID, WorldName: "test"})
	require.NoError(t, err)
	inFrame := func(p *runtime.EvaluateParams) { p.ContextID = world.ExecutionContextID }
	var got map[string]string
	require.Eventually(t, func() bool {
		got = get(t, frameTab, chromedp.Evaluate[map[string]string](
			`({after: String(document.getElementById("after") !== null), text: document.body ? document.body.innerText : "", ran: String(document.body && document.body.dataset.ran)})`, inFrame))
		return got["after"] == "true"
	}, stepTimeout, 10*time.Millisecond, "the e-mail's document is never parsed")
	assert.Contains(t, got["text"], "Your order is paid")
	assert.Contains(t, got["text"], "after the script")
	assert.Equal(t, "undefined", got["ran"], "no script of the e-mail ran")
}

// TestMailConfiguration: SMTP_URL is checked at start without repeating
// its password, and the start log says where mail goes, without it.
func TestMailConfiguration(t *testing.T) {
	load := func(env map[string]string) (*config, error) {
		return loadConfig(nil, func(k string) string { return env[k] }, io.Discard)
	}
	for _, raw := range []string{"http://shop:s3cret@mail.example.com", "smtp://shop:s3/cret@mail.example.com", "smtp://shop@mail.example.com"} {
		_, err := load(map[string]string{"SMTP_URL": raw})
		if assert.Error(t, err, raw) {
			assert.Contains(t, err.Error(), "SMTP_URL")
			assert.NotContains(t, err.Error(), "s3")
		}
	}
	_, err := load(map[string]string{"SMTP_FROM": "not an address"})
	assert.ErrorContains(t, err, "SMTP_FROM")

	logged := func(env map[string]string) string {
		c, err := load(env)
		require.NoError(t, err)
		var b bytes.Buffer
		newLogger(&b, "info").Info("starting", c.logValue()...)
		return b.String()
	}
	out := logged(map[string]string{"SMTP_URL": "smtp://shop:s3cret-pw@mail.example.com", "SMTP_FROM": "Shop <shop@example.com>"})
	assert.Contains(t, out, "smtp_url=smtp://shop:xxxxx@mail.example.com ")
	assert.Contains(t, out, `mail="SMTP smtp://shop@mail.example.com:587 (STARTTLS required)"`)
	assert.Contains(t, out, `smtp_from="Shop <shop@example.com>"`)
	assert.NotContains(t, out, "s3cret")
	out = logged(map[string]string{"BASE_URL": "http://localhost:8080"})
	assert.Contains(t, out, "left in the sandbox mailbox at http://localhost:8080/sandbox/mail")
	assert.Contains(t, logged(live()), "logged only, shoppers get no e-mail")
}

// srcdocFrame finds the frame of the first e-mail on the page of tab: in
// the page's target, or in a target of its own (an out-of-process frame).
// It returns a context on the frame's target and the frame.
func srcdocFrame(t *testing.T, tab context.Context) (context.Context, *cdp.Frame) {
	t.Helper()
	tree, err := chromedp.Call(tab, page.GetFrameTree, cdp.Empty{})
	require.NoError(t, err)
	if len(tree.FrameTree.ChildFrames) > 0 {
		return tab, tree.FrameTree.ChildFrames[0].Frame
	}
	var id target.ID
	require.Eventually(t, func() bool {
		targets, err := chromedp.CallBrowser(tab, target.GetTargets, target.GetTargetsParams{})
		require.NoError(t, err)
		for _, ti := range targets.TargetInfos {
			if ti.Type == "iframe" && ti.URL == "about:srcdoc" {
				id = ti.TargetID
				return true
			}
		}
		return false
	}, stepTimeout, 10*time.Millisecond, "no frame for the e-mail")
	frameTab, cancel := chromedp.NewContext(tab, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	tree, err = chromedp.Call(frameTab, page.GetFrameTree, cdp.Empty{})
	require.NoError(t, err)
	return frameTab, tree.FrameTree.Frame
}
