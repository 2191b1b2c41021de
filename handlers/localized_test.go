package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

// setProduct changes columns of a product in the database, as the
// merchant's admin would.
func (h *harness) setProduct(slug string, cols map[string]any) {
	h.t.Helper()
	require.NoError(h.t, h.db.Gorm().Model(&models.Product{}).Where("slug = ?", slug).Updates(cols).Error)
}

// newCategory stores a category and returns it.
func (h *harness) newCategory(slug, name, nameZH string, sortOrder int) models.Category {
	h.t.Helper()
	c := models.Category{Slug: slug, Name: name, NameZH: nameZH, SortOrder: sortOrder}
	require.NoError(h.t, h.db.Gorm().Create(&c).Error)
	return c
}

// speaking sets the languages the browser asks for.
func (b *browser) speaking(acceptLanguage string) *browser {
	b.header.Set("Accept-Language", acceptLanguage)
	return b
}

// localizedCatalog is the seeded catalog with a category on the scarf and
// the mug's Chinese name and the tea set's Chinese description left empty,
// so that pages fall back to English for them.
func localizedCatalog(t *testing.T) *harness {
	h := newHarness(t, options{})
	textiles := h.newCategory("textiles", "Textiles", "纺织品", 0)
	h.setProduct("silk-scarf", map[string]any{"category_id": textiles.ID})
	h.setProduct("ceramic-mug", map[string]any{"name_zh": ""})
	h.setProduct("tea-set", map[string]any{"description_zh": ""})
	return h
}

// TestPagesSpeakTheShoppersLanguage: every page shows the products' names
// (and descriptions and categories) in the shopper's language, and English
// where the Chinese is empty.
func TestPagesSpeakTheShoppersLanguage(t *testing.T) {
	tests := []struct {
		lang, acceptLanguage string
		scarf, notScarf      string
		category             string
		scarfDescription     string
		teaDescription       string
		status               string
		mugOrderLine         string // marked English on a Chinese page
	}{
		{"en", "en-GB,en;q=0.9", "Silk scarf", "真丝围巾", "Category: Textiles",
			"A light mulberry silk scarf with a hand-rolled hem.", "A celadon teapot with four cups", "Waiting for payment",
			"<li>1 × Speckled mug <span>"},
		{"zh", "zh-CN,zh;q=0.9,en;q=0.5", "真丝围巾", "Silk scarf", "分类：纺织品",
			"轻盈的桑蚕丝围巾，手工卷边。", "A celadon teapot with four cups", "等待付款",
			`<li>1 × <span lang="en">Speckled mug</span> <span>`},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			t.Parallel()
			h := localizedCatalog(t)
			b := h.browser(desktopUA).speaking(tt.acceptLanguage)
			scarf, mug := h.product("silk-scarf"), h.product("ceramic-mug")

			home := b.get("/")
			require.Equal(t, http.StatusOK, home.StatusCode)
			assert.Contains(t, home.Body, `<span class="name">`+tt.scarf+`</span>`)
			assert.Contains(t, home.Body, `<span class="name">Speckled mug</span>`, "no Chinese name: English")
			assert.NotContains(t, home.Body, tt.notScarf)

			page := b.get("/products/silk-scarf")
			require.Equal(t, http.StatusOK, page.StatusCode)
			assert.Contains(t, page.Body, "<h1>"+tt.scarf+"</h1>")
			assert.Contains(t, page.Body, "<title>"+tt.scarf+"</title>")
			assert.Contains(t, page.Body, tt.scarfDescription)
			assert.Contains(t, page.Body, `data-testid="category">`+tt.category+`<`)
			assert.NotContains(t, page.Body, tt.notScarf)
			tea := b.get("/products/tea-set")
			assert.Contains(t, tea.Body, tt.teaDescription, "no Chinese description: English")
			assert.NotContains(t, tea.Body, `data-testid="category"`, "no category, no line")

			require.Equal(t, http.StatusSeeOther, b.add(scarf.ID, 2).StatusCode)
			require.Equal(t, http.StatusSeeOther, b.add(mug.ID, 1).StatusCode)
			cart := b.get("/cart")
			assert.Contains(t, cart.Body, `">`+tt.scarf+`</a>`)
			assert.Contains(t, cart.Body, `">Speckled mug</a>`)
			assert.NotContains(t, cart.Body, tt.notScarf)

			checkout := b.get("/checkout")
			assert.Contains(t, checkout.Body, "<li>2 × "+tt.scarf+" <span>")
			assert.Contains(t, checkout.Body, "<li>1 × Speckled mug <span>")
			assert.NotContains(t, checkout.Body, tt.notScarf)

			res := b.post("/checkout", validContact(checkoutKeyRE.FindStringSubmatch(checkout.Body)[1]))
			require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
			orderNo := gatewayParams(t, h, res.location()).Get("out_trade_no")
			assert.Equal(t, tt.lang, h.order(orderNo).Lang, "the order keeps the shopper's language")
			order := b.get("/orders/" + orderNo)
			assert.Contains(t, order.Body, "<li>2 × "+tt.scarf+" <span>")
			assert.Contains(t, order.Body, tt.mugOrderLine)
			assert.Contains(t, order.Body, tt.status)
			assert.NotContains(t, order.Body, tt.notScarf)
		})
	}
}

// TestOrderPageKeepsTheOrdersNames: an order's lines keep the names they
// had when it was placed, in the language it was placed in, whatever the
// catalog and the page's language become.
func TestOrderPageKeepsTheOrdersNames(t *testing.T) {
	h := localizedCatalog(t)
	scarf, mug := h.product("silk-scarf"), h.product("ceramic-mug")
	zh := h.browser(desktopUA).speaking("zh-CN")
	require.Equal(t, http.StatusSeeOther, zh.add(mug.ID, 1).StatusCode)
	zhOrder := zh.buy(scarf.ID, 2)
	en := h.browser(desktopUA)
	enOrder := en.buy(scarf.ID, 1)
	require.Equal(t, "zh", h.order(zhOrder).Lang)
	require.Equal(t, "en", h.order(enOrder).Lang)

	h.setProduct("silk-scarf", map[string]any{"name": "Renamed scarf", "name_zh": "改名围巾"})
	h.setProduct("ceramic-mug", map[string]any{"name": "Renamed mug", "name_zh": "改名杯"})

	tests := []struct {
		name    string
		who     *browser
		orderNo string
		want    []string
	}{
		{"Chinese order, Chinese page", zh, zhOrder,
			[]string{"<li>2 × 真丝围巾 <span>", `<li>1 × <span lang="en">Speckled mug</span> <span>`, "等待付款"}},
		{"Chinese order, English page", zh, zhOrder,
			[]string{`<li>2 × <span lang="zh-Hans">真丝围巾</span> <span>`, "<li>1 × Speckled mug <span>", "Waiting for payment"}},
		{"English order, Chinese page", en, enOrder,
			[]string{`<li>1 × <span lang="en">Silk scarf</span> <span>`, "等待付款"}},
		{"English order, English page", en, enOrder,
			[]string{"<li>1 × Silk scarf <span>", "Waiting for payment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasSuffix(tt.name, "Chinese page") {
				tt.who.speaking("zh-CN")
			} else {
				tt.who.speaking("en")
			}
			res := tt.who.get("/orders/" + tt.orderNo)
			require.Equal(t, http.StatusOK, res.StatusCode)
			for _, s := range tt.want {
				assert.Contains(t, res.Body, s)
			}
			for _, s := range []string{"Renamed", "改名"} {
				assert.NotContains(t, res.Body, s, "a later catalog edit does not change the order")
			}
		})
	}
}

// TestAlipayTextInTheOrdersLanguage: the subject, body and goods Alipay
// shows the buyer are in the language of the checkout, through the web
// checkout (Accept-Language or the language switch) and the API
// (Accept-Language); sending the order again later gives the same request
// whatever the language of that request.
func TestAlipayTextInTheOrdersLanguage(t *testing.T) {
	english := map[string]string{"subject": "Silk scarf and 1 more", "body": "2 x Silk scarf, 1 x Speckled mug",
		"goods": "Silk scarf^2|Speckled mug^1"}
	chinese := map[string]string{"subject": "真丝围巾及其他1种商品", "body": "真丝围巾 × 2；斑点陶瓷杯 × 1",
		"goods": "真丝围巾^2|斑点陶瓷杯^1"}
	tests := []struct {
		name     string
		how      string // "checkout", "switch" (the /lang link), "api"
		language string
		want     map[string]string
		wantLang string
	}{
		{"checkout, no Accept-Language", "checkout", "", english, "en"},
		{"checkout, English", "checkout", "en-US,en;q=0.9", english, "en"},
		{"checkout, Chinese", "checkout", "zh-CN,zh;q=0.9", chinese, "zh"},
		{"checkout, Chinese by the switch", "switch", "en", chinese, "zh"},
		{"API, English", "api", "en", english, "en"},
		{"API, Chinese", "api", "zh-CN", chinese, "zh"},
		{"API, neither", "api", "fr-FR", english, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			scarf, mug := h.product("silk-scarf"), h.product("ceramic-mug")
			var location string
			var b *browser
			switch tt.how {
			case "api":
				res, a := h.apiOrder(fmt.Sprintf(`{"items":[{"product_id":%d,"quantity":2},{"product_id":%d,"quantity":1}],"channel":"wap"}`, scarf.ID, mug.ID),
					http.Header{"Accept-Language": {tt.language}})
				require.Equal(t, http.StatusCreated, res.StatusCode, res.Body)
				location = a.PayURL
			default:
				b = h.browser(desktopUA).speaking(tt.language)
				if tt.how == "switch" {
					require.Equal(t, http.StatusSeeOther, b.get("/lang/zh?next=/").StatusCode)
				}
				require.Equal(t, http.StatusSeeOther, b.add(scarf.ID, 2).StatusCode)
				require.Equal(t, http.StatusSeeOther, b.add(mug.ID, 1).StatusCode)
				res := b.post("/checkout", validContact(b.checkoutKey()))
				require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
				location = res.location()
			}

			q := gatewayParams(t, h, location)
			o := h.order(q.Get("out_trade_no"))
			assert.Equal(t, tt.wantLang, o.Lang)
			assert.Equal(t, tt.want["subject"], q.Get("subject"))
			assert.Equal(t, tt.want["body"], q.Get("body"))
			var ti map[string]string
			require.NoError(t, json.Unmarshal([]byte(q.Get("trade_information")), &ti))
			assert.Equal(t, tt.want["goods"], ti["goods_info"])

			if b != nil {
				// The shopper changes language, then pays from the order page.
				other := map[string]string{"en": "zh", "zh": "en"}[tt.wantLang]
				require.Equal(t, http.StatusSeeOther, b.get("/lang/"+other+"?next=/").StatusCode)
				again := b.post("/orders/"+o.OrderNo+"/pay", url.Values{})
				require.Equal(t, http.StatusSeeOther, again.StatusCode, again.Body)
				assert.Equal(t, location, again.location(), "the same order gives the same request")
			}
		})
	}
}

// TestAlipayTextWithinLimits: whatever the names, the subject, body and
// goods pass Alipay's rules: the longest names, names full of the
// characters Alipay forbids, names made only of them, and the most lines an
// order can have.
func TestAlipayTextWithinLimits(t *testing.T) {
	long := func(s string) string { return strings.Repeat(s, 1000/utf8.RuneCountInString(s)+1) }
	names := []struct {
		name, en, zh string
	}{
		{"longest", long("Long name "), long("很长的名字")},
		{"forbidden characters", long(`Tea "&=?%#^|' set `), long(`茶具"&=?%#^|'`)},
		{"characters outside the BMP", long("🍵 tea "), long("🍵茶")},
		{"only forbidden characters in Chinese", "Plain tea", `"&=?%#`},
		{"only forbidden characters", `"&=?%#^|'`, `"&=?%#^|'`},
	}
	for _, lang := range []string{"en", "zh"} {
		for _, n := range names {
			for _, lines := range []int{1, 2, 30} {
				t.Run(fmt.Sprintf("%s/%s/%d lines", lang, n.name, lines), func(t *testing.T) {
					o := &models.Order{OrderNo: "20260101ABCDEFGHIJKLMNOP", Channel: models.ChannelWAP, Currency: "USD",
						Lang: lang, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(30 * time.Minute)}
					for i := range lines {
						o.Lines = append(o.Lines, models.OrderLine{Name: fmt.Sprint(i, n.en), NameZH: fmt.Sprint(i, n.zh), UnitMinor: 100, Quantity: 1})
						o.TotalMinor += 100
					}
					if strings.HasPrefix(n.name, "only") {
						o.Lines[0].Name, o.Lines[0].NameZH = n.en, n.zh
					}
					checkAlipayText(t, o)
				})
			}
		}
	}
}

// checkAlipayText checks what an order sends Alipay against its rules, by
// signing the web, mobile and app requests with the real client.
func checkAlipayText(t *testing.T, o *models.Order) {
	t.Helper()
	s := &Server{baseURL: "https://shop.example"}
	client, err := payment.NewClient(payment.Config{Gateway: "https://gateway.example/gateway.do", Partner: testPartner,
		SignType: payment.RSA2, PrivateKey: testKeys().merchant, AlipayPublicKey: &testKeys().alipay.PublicKey})
	require.NoError(t, err)

	subject, body := orderSubject(o), orderBody(o)
	limit := 256
	if o.Lang == "zh" {
		limit = 128
	}
	assert.LessOrEqual(t, utf8.RuneCountInString(subject), limit, subject)
	assert.LessOrEqual(t, utf8.RuneCountInString(body), 400)
	assert.NotEmpty(t, strings.TrimSpace(subject))
	for _, text := range []string{subject, body, goodsInformation(o).GoodsInfo} {
		assert.NotContains(t, text, `"`)
		assert.NotContains(t, text, "'")
		assert.True(t, utf8.ValidString(text))
	}
	if len(o.Lines) > 1 {
		more := map[string]string{"en": " more", "zh": "种商品"}[o.Lang]
		assert.True(t, strings.HasSuffix(subject, fmt.Sprint(len(o.Lines)-1)+more), "the count is never cut off: %q", subject)
	}
	for _, svc := range []models.Channel{models.ChannelWAP, models.ChannelWeb} {
		o.Channel = svc
		_, err := client.PayURL(s.tradeRequest(o))
		require.NoError(t, err, "%s: subject %q", svc, subject)
	}
	_, err = client.AppOrderString(s.appRequest(o))
	require.NoError(t, err)
	assert.Equal(t, s.tradeRequest(o), s.tradeRequest(o), "a pure function of the order")
}

// TestAlipayTextWithTheLongestNamesEndToEnd: a Chinese and an English
// checkout of every product, each named at length with forbidden
// characters, is sent to the cashier.
func TestAlipayTextWithTheLongestNamesEndToEnd(t *testing.T) {
	for _, tt := range []struct{ lang, acceptLanguage string }{{"en", "en"}, {"zh", "zh-CN"}} {
		t.Run(tt.lang, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			require.NoError(t, h.db.Gorm().Model(&models.Product{}).Where("1 = 1").Updates(map[string]any{
				"name":    strings.Repeat(`Extraordinarily long "name" & more #`, 30),
				"name_zh": strings.Repeat(`非常长的商品名称？＃"&=`, 60),
			}).Error)
			products, err := h.db.Products(t.Context())
			require.NoError(t, err)
			b := h.browser(mobileUA).speaking(tt.acceptLanguage)
			for _, p := range products {
				require.Equal(t, http.StatusSeeOther, b.add(p.ID, 1).StatusCode)
			}

			res := b.post("/checkout", validContact(b.checkoutKey()))

			require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
			q := gatewayParams(t, h, res.location())
			limit := map[string]int{"en": 256, "zh": 128}[tt.lang]
			assert.LessOrEqual(t, utf8.RuneCountInString(q.Get("subject")), limit, q.Get("subject"))
			assert.LessOrEqual(t, utf8.RuneCountInString(q.Get("body")), 400)
			want := map[string]string{"en": "Extraordinarily long name more", "zh": "非常长的商品名称？＃"}[tt.lang]
			assert.True(t, strings.HasPrefix(q.Get("subject"), want), q.Get("subject"))
			assert.True(t, strings.HasSuffix(q.Get("subject"), map[string]string{"en": " and 11 more", "zh": "及其他11种商品"}[tt.lang]), q.Get("subject"))
		})
	}
}

// TestAPIProductsInChinese: Accept-Language chooses the language of name,
// description and the categories' names; both languages are there as
// stored; hidden products are not.
func TestAPIProductsInChinese(t *testing.T) {
	h := localizedCatalog(t)
	h.newCategory("kitchen", "Kitchen", "", -1)
	h.setProduct("leather-wallet", map[string]any{"hidden": true})

	for _, tt := range []struct {
		acceptLanguage, wantLang, wantContentLanguage string
	}{
		{"zh-CN,zh;q=0.9", "zh", "zh-Hans"},
		{"zh-Hans", "zh", "zh-Hans"},
		{"en-US", "en", "en"},
		{"", "en", "en"},
		{"de-DE", "en", "en"},
	} {
		t.Run(tt.acceptLanguage, func(t *testing.T) {
			res, out := h.apiCall(http.MethodGet, "/api/products", "", http.Header{"Accept-Language": {tt.acceptLanguage}})

			require.Equal(t, http.StatusOK, res.StatusCode)
			zh := tt.wantLang == "zh"
			assert.Equal(t, tt.wantLang, out["lang"])
			assert.Equal(t, tt.wantContentLanguage, res.Header.Get("Content-Language"))
			assert.Contains(t, res.Header.Values("Vary"), "Accept-Language")
			pick := func(en, zhName string) string {
				if zh && zhName != "" {
					return zhName
				}
				return en
			}
			assert.Equal(t, []any{
				map[string]any{"slug": "kitchen", "name": "Kitchen", "name_en": "Kitchen", "name_zh": ""},
				map[string]any{"slug": "textiles", "name": pick("Textiles", "纺织品"), "name_en": "Textiles", "name_zh": "纺织品"},
			}, out["categories"], "in the merchant's order, English where there is no Chinese")

			bySlug := map[string]map[string]any{}
			for _, p := range out["products"].([]any) {
				bySlug[p.(map[string]any)["slug"].(string)] = p.(map[string]any)
			}
			assert.Len(t, bySlug, 11)
			assert.NotContains(t, bySlug, "leather-wallet", "hidden")
			scarf := bySlug["silk-scarf"]
			assert.Equal(t, pick("Silk scarf", "真丝围巾"), scarf["name"])
			assert.Equal(t, "Silk scarf", scarf["name_en"])
			assert.Equal(t, "真丝围巾", scarf["name_zh"])
			assert.Equal(t, pick("A light mulberry silk scarf with a hand-rolled hem.", "轻盈的桑蚕丝围巾，手工卷边。"), scarf["description"])
			assert.Equal(t, map[string]any{"slug": "textiles", "name": pick("Textiles", "纺织品"), "name_en": "Textiles", "name_zh": "纺织品"}, scarf["category"])
			mug := bySlug["ceramic-mug"]
			assert.Equal(t, "Speckled mug", mug["name"], "no Chinese name: English")
			assert.Equal(t, "", mug["name_zh"])
			assert.Nil(t, mug["category"])
			tea := bySlug["tea-set"]
			assert.Equal(t, "A celadon teapot with four cups, glazed in soft green.", tea["description"], "no Chinese description: English")
			assert.Equal(t, pick("Celadon tea set", "青瓷茶具"), tea["name"])
		})
	}
}
