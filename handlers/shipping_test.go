package handlers

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

// shippingForm is the checkout form as the page sends it: the contact of
// validContact, the address in parts.
func shippingForm(key string) url.Values {
	f := validContact(key)
	f.Del("address")
	f.Set("country", "US")
	f.Set("province", "CA")
	f.Set("city", "San Francisco")
	f.Set("street", "1 Market Street\r\nSuite 200")
	f.Set("postcode", "94105")
	return f
}

// newShippingHarness is the harness with its server rebuilt from the
// configuration change makes.
func newShippingHarness(t *testing.T, change func(*Config)) *harness {
	t.Helper()
	h := newHarness(t, options{})
	cfg := h.cfg
	change(&cfg)
	srv, err := New(cfg)
	require.NoError(t, err)
	h.srv, h.handler = srv, srv.Handler()
	h.ts = httptest.NewServer(h.handler)
	t.Cleanup(h.ts.Close)
	return h
}

// flatShipping charges US$8.00, and nothing from US$78.00 of items (two
// silk scarves).
var flatShipping = models.Shipping{FlatMinor: 800, FreeOverMinor: 7800}

func TestAddressRules(t *testing.T) {
	type parts struct{ country, province, city, street, postcode string }
	tests := []struct {
		name         string
		in           parts
		wantErrs     []string // fields
		wantPostcode string   // as stored
		wantAddress  string   // the one text, when valid
	}{
		{"China", parts{"CN", "广东省", "深圳市", "南山区科技园路1号", "518000"}, nil, "518000",
			"518000 广东省 深圳市\n南山区科技园路1号\nMainland China"},
		{"China, full-width digits", parts{"cn", "广东省", "深圳市", "南山区科技园路1号", "５１８０００"}, nil, "518000", ""},
		{"China, no postcode", parts{"CN", "广东省", "深圳市", "南山区科技园路1号", ""}, []string{"postcode"}, "", ""},
		{"China, five digits", parts{"CN", "广东省", "深圳市", "南山区科技园路1号", "51800"}, []string{"postcode"}, "", ""},
		{"China, no province", parts{"CN", "", "深圳市", "南山区科技园路1号", "518000"}, []string{"province"}, "", ""},
		{"China, no city", parts{"CN", "广东省", "", "南山区科技园路1号", "518000"}, []string{"city"}, "", ""},
		{"Hong Kong: no postcode, no city needed", parts{"HK", "", "", "Flat 5, 12/F, 1 Queen's Road Central", ""}, nil, "",
			"Flat 5, 12/F, 1 Queen's Road Central\nHong Kong"},
		{"Hong Kong: a postcode typed is dropped", parts{"HK", "", "", "1 Queen's Road Central", "999077"}, nil, "", ""},
		{"Macao", parts{"MO", "", "", "Avenida da Praia Grande 1", ""}, nil, "", ""},
		{"Taiwan, 3 digits", parts{"TW", "", "台北市", "大安区罗斯福路四段1号", "106"}, nil, "106", ""},
		{"Taiwan, 5 digits", parts{"TW", "", "台北市", "大安区罗斯福路四段1号", "10617"}, nil, "10617", ""},
		{"Taiwan, 4 digits", parts{"TW", "", "台北市", "大安区罗斯福路四段1号", "1061"}, []string{"postcode"}, "", ""},
		{"Singapore: no city needed", parts{"SG", "", "", "1 Orchard Road", "238801"}, nil, "238801", "1 Orchard Road\n238801\nSingapore"},
		{"Singapore, 5 digits", parts{"SG", "", "", "1 Orchard Road", "23880"}, []string{"postcode"}, "", ""},
		{"Malaysia", parts{"MY", "Wilayah Persekutuan", "Kuala Lumpur", "1 Jalan Ampang", "50450"}, nil, "50450",
			"1 Jalan Ampang\n50450 Kuala Lumpur\nWilayah Persekutuan\nMalaysia"},
		{"Malaysia, no state", parts{"MY", "", "Kuala Lumpur", "1 Jalan Ampang", "50450"}, []string{"province"}, "", ""},
		{"Japan, hyphen added", parts{"JP", "東京都", "渋谷区", "神宮前1-1-1", "1500001"}, nil, "150-0001",
			"150-0001 東京都 渋谷区\n神宮前1-1-1\nJapan"},
		{"Japan, with hyphen", parts{"JP", "東京都", "渋谷区", "神宮前1-1-1", "150-0001"}, nil, "150-0001", ""},
		{"Japan, wrong form", parts{"JP", "東京都", "渋谷区", "神宮前1-1-1", "15-00001"}, []string{"postcode"}, "", ""},
		{"Japan, no prefecture", parts{"JP", "", "渋谷区", "神宮前1-1-1", "150-0001"}, []string{"province"}, "", ""},
		{"Korea: province optional", parts{"KR", "", "Seoul", "1 Sejong-daero, Jung-gu", "04524"}, nil, "04524", ""},
		{"US", parts{"US", "IL", "Springfield", "1 Main Street", "62704"}, nil, "62704", "1 Main Street\nSpringfield, IL 62704\nUnited States"},
		{"US, ZIP+4", parts{"US", "IL", "Springfield", "1 Main Street", "62704-1234"}, nil, "62704-1234", ""},
		{"US, four digits", parts{"US", "IL", "Springfield", "1 Main Street", "6270"}, []string{"postcode"}, "", ""},
		{"US, no state and no city", parts{"US", "", "", "1 Main Street", "62704"}, []string{"city", "province"}, "", ""},
		{"Canada, normalized", parts{"CA", "ON", "Ottawa", "111 Wellington Street", "k1a0b1"}, nil, "K1A 0B1", ""},
		{"Canada, short", parts{"CA", "ON", "Ottawa", "111 Wellington Street", "K1A 0B"}, []string{"postcode"}, "", ""},
		{"UK, normalized", parts{"GB", "", "London", "10 Downing Street", "sw1a2aa"}, nil, "SW1A 2AA",
			"10 Downing Street\nLondon\nSW1A 2AA\nUnited Kingdom"},
		{"UK, short form", parts{"GB", "", "Manchester", "1 Piccadilly", "M1 1AE"}, nil, "M1 1AE", ""},
		{"UK, digits only", parts{"GB", "", "London", "10 Downing Street", "12345"}, []string{"postcode"}, "", ""},
		{"France", parts{"FR", "", "Paris", "55 Rue du Faubourg Saint-Honoré", "75008"}, nil, "75008",
			"55 Rue du Faubourg Saint-Honoré\n75008 Paris\nFrance"},
		{"Germany, four digits", parts{"DE", "", "Berlin", "Unter den Linden 1", "1011"}, []string{"postcode"}, "", ""},
		{"Australia", parts{"AU", "NSW", "Sydney", "1 George Street", "2000"}, nil, "2000", ""},
		{"Australia, no state", parts{"AU", "", "Sydney", "1 George Street", "2000"}, []string{"province"}, "", ""},
		{"New Zealand", parts{"NZ", "", "Wellington", "1 Lambton Quay", "6011"}, nil, "6011", ""},
		{"a country not delivered to", parts{"XX", "", "Nowhere", "1 Main Street", "12345"}, []string{"country"}, "", ""},
		{"no country", parts{"", "", "", "1 Main Street", ""}, []string{"country"}, "", ""},
		{"street too short", parts{"DE", "", "Berlin", "U 1", "10115"}, []string{"street"}, "", ""},
		{"street too long", parts{"DE", "", "Berlin", strings.Repeat("x", 301), "10115"}, []string{"street"}, "", ""},
		{"a control character in the city", parts{"DE", "", "Ber\x00lin", "Unter den Linden 1", "10115"}, []string{"city"}, "", ""},
		{"city too long", parts{"DE", "", strings.Repeat("b", 101), "Unter den Linden 1", "10115"}, []string{"city"}, "", ""},
		{"multi-line street", parts{"DE", "", "Berlin", "Unter den Linden 1\r\nHinterhaus", "10115"}, nil, "10115",
			"Unter den Linden 1\nHinterhaus\n10115 Berlin\nGermany"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := contact{Name: "Ann Lee", Email: "ann@example.com", Country: tt.in.country, Province: tt.in.province,
				City: tt.in.city, Street: tt.in.street, Postcode: tt.in.postcode}

			errs := f.validate()

			assert.ElementsMatch(t, tt.wantErrs, slices.Collect(maps.Keys(errs)))
			if len(tt.wantErrs) > 0 {
				return
			}
			assert.Equal(t, tt.wantPostcode, f.Postcode)
			got := f.shipTo()
			assert.Equal(t, strings.ToUpper(strings.TrimSpace(tt.in.country)), got.Country)
			assert.Equal(t, f.Postcode, got.Postcode)
			if tt.wantAddress != "" {
				assert.Equal(t, tt.wantAddress, f.Address)
			} else {
				assert.NotEmpty(t, f.Address, "the one text is always written")
			}
		})
	}
}

// regexpAll returns the first group of every match of expr in s.
func regexpAll(expr, s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(expr).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestCheckoutShipping: the cart and the checkout show the shipping, the
// order stores it, and the total sent to Alipay includes it.
func TestCheckoutShipping(t *testing.T) {
	tests := []struct {
		name                       string
		scarves                    int
		wantItems, wantShip, total string
		wantShipMinor              int64
		wantFreeOver               bool
	}{
		{"charged below the threshold", 1, "US$39.00", "US$8.00", "47.00", 800, true},
		// Two scarves cost US$78.00: exactly the threshold.
		{"free exactly at the threshold", 2, "US$78.00", "Free", "78.00", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newShippingHarness(t, func(c *Config) { c.Shipping = flatShipping })
			b := h.browser(desktopUA)
			scarf := h.product("silk-scarf")
			require.Equal(t, http.StatusSeeOther, b.add(scarf.ID, tt.scarves).StatusCode)

			cart := b.get("/cart").Body
			assert.Contains(t, cart, `data-testid="cart-items">`+tt.wantItems+`<`)
			assert.Contains(t, cart, `data-testid="cart-shipping">`+tt.wantShip+`<`)
			assert.Contains(t, cart, `data-testid="cart-total">US$`+tt.total+`<`)
			assert.Equal(t, tt.wantFreeOver, strings.Contains(cart, "Orders of US$78.00 or more ship free."))

			page := b.get("/checkout").Body
			assert.Contains(t, page, `data-testid="items-total">`+tt.wantItems+`<`)
			assert.Contains(t, page, `data-testid="shipping">`+tt.wantShip+`<`)
			assert.Contains(t, page, `data-testid="checkout-total">US$`+tt.total+`<`)
			assert.Contains(t, page, "Elsewhere: 10–20 working days.", "the delivery estimates")
			key := checkoutKeyRE.FindStringSubmatch(page)[1]
			form := shippingForm(key)
			form.Set("shipping", "0") // a client's say changes nothing

			res := b.post("/checkout", form)

			require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
			q := gatewayParams(t, h, res.location())
			assert.Equal(t, tt.total, q.Get("total_fee"), "Alipay is asked for the items plus shipping")
			assert.Equal(t, "USD", q.Get("currency"))
			o := h.order(q.Get("out_trade_no"))
			assert.Equal(t, tt.wantShipMinor, o.ShippingMinor)
			assert.Equal(t, int64(tt.scarves)*3900, o.ItemsMinor())
			require.Len(t, o.Lines, 1, "the lines stay the items")
			assert.Equal(t, o.ItemsMinor(), o.Lines[0].TotalMinor())
			var ti map[string]string
			require.NoError(t, json.Unmarshal([]byte(q.Get("trade_information")), &ti))
			assert.NotContains(t, ti["goods_info"], "hipping", "shipping is no line of goods")
			assert.Equal(t, models.PostalAddress{Country: "US", Province: "CA", City: "San Francisco",
				Street: "1 Market Street\nSuite 200", Postcode: "94105"}, o.ShipTo)
			assert.Equal(t, "1 Market Street\nSuite 200\nSan Francisco, CA 94105\nUnited States", o.Address)
		})
	}
}

// TestNotifyAmountIncludesShipping: the paid notification must be for the
// total with shipping; one for the items alone is a mismatch.
func TestNotifyAmountIncludesShipping(t *testing.T) {
	tests := []struct {
		name        string
		amount      func(o *models.Order) int64
		wantVerdict models.Verdict
		wantStatus  models.Status
	}{
		{"the items and shipping", func(o *models.Order) int64 { return o.TotalMinor }, models.VerdictPaid, models.StatusPaid},
		{"the items alone", func(o *models.Order) int64 { return o.ItemsMinor() }, models.VerdictMismatch, models.StatusPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newShippingHarness(t, func(c *Config) { c.Shipping = flatShipping })
			b := h.browser(mobileUA)
			require.Equal(t, http.StatusSeeOther, b.add(h.product("silk-scarf").ID, 1).StatusCode)
			res := b.post("/checkout", shippingForm(b.checkoutKey()))
			require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
			o := h.order(gatewayParams(t, h, res.location()).Get("out_trade_no"))
			require.Equal(t, int64(4700), o.TotalMinor)
			p := paidParams(o)
			p["total_fee"] = payment.Amount{Minor: tt.amount(o), Currency: "USD"}.String()

			ans := h.postNotify(sign(t, h.alipay, p).Encode(), formType, nil)

			assert.Equal(t, "success", ans.Body, "recorded either way")
			ns := h.notifications()
			require.Len(t, ns, 1)
			assert.Equal(t, tt.wantVerdict, ns[0].Verdict)
			got := h.order(o.OrderNo)
			assert.Equal(t, tt.wantStatus, got.Status)
			assert.Equal(t, tt.wantVerdict == models.VerdictMismatch, got.Flagged, "a mismatch needs a person")
		})
	}
}

// TestCheckoutAddressErrors: the form marks the address fields that are
// wrong, keeps what was typed, and says the postcode's form.
func TestCheckoutAddressErrors(t *testing.T) {
	tests := []struct {
		name       string
		accept     string
		edit       func(f url.Values)
		wantErrors map[string]string
		kept       []string
	}{
		{"no country", "en", func(f url.Values) { f.Del("country") },
			map[string]string{"country": "Choose the country or region to deliver to."}, []string{`value="San Francisco"`}},
		{"US postcode", "en", func(f url.Values) { f.Set("postcode", "941") },
			map[string]string{"postcode": "Enter a valid postcode for the country or region chosen. For United States, like 94105."},
			[]string{`value="941"`, `<option value="US" selected>`}},
		{"Chinese postcode, in Chinese", "zh-CN", func(f url.Values) {
			f.Set("country", "CN")
			f.Set("province", "广东省")
			f.Set("city", "深圳市")
			f.Set("postcode", "51800")
		}, map[string]string{"postcode": "请填写所选国家或地区的有效邮政编码。 中国大陆的邮政编码形如 518000。"}, []string{`<option value="CN" selected>`}},
		{"no state", "en", func(f url.Values) { f.Set("province", " ") },
			map[string]string{"province": "Enter the province, state or prefecture"}, nil},
		{"street", "en", func(f url.Values) { f.Set("street", "x") },
			map[string]string{"street": "Enter the street address, 5 to 300 characters."}, []string{">x</textarea>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			b := h.browser(desktopUA).speaking(tt.accept)
			require.Equal(t, http.StatusSeeOther, b.add(h.product("silk-scarf").ID, 1).StatusCode)
			form := shippingForm(b.checkoutKey())
			tt.edit(form)

			res := b.post("/checkout", form)

			assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
			for field, msg := range tt.wantErrors {
				assert.Contains(t, res.Body, `<p class="field-error" id="`+field+`-err">`+msg)
				assert.Regexp(t, `aria-describedby="[^"]*`+field+`-err"`, res.Body)
			}
			assert.Equal(t, len(tt.wantErrors), strings.Count(res.Body, `class="field-error"`))
			for _, s := range tt.kept {
				assert.Contains(t, res.Body, s)
			}
			assert.Zero(t, h.orderCount())
		})
	}
}

// TestCheckoutOlderForm: a form shown before the address came in parts
// (one text, no country) still checks out, as the API's older clients do.
func TestCheckoutOlderForm(t *testing.T) {
	h := newShippingHarness(t, func(c *Config) { c.Shipping = flatShipping })
	b := h.browser(desktopUA)
	require.Equal(t, http.StatusSeeOther, b.add(h.product("silk-scarf").ID, 1).StatusCode)
	key := b.checkoutKey()
	bad := validContact(key)
	bad.Set("address", "x")

	res := b.post("/checkout", bad)
	assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.Body, `<p class="field-error" id="street-err">Enter a delivery address of 5 to 300 characters.`,
		"shown at the street field, which the form has now")
	assert.Contains(t, res.Body, ">x</textarea>")

	res = b.post("/checkout", validContact(key))
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	q := gatewayParams(t, h, res.location())
	assert.Equal(t, "47.00", q.Get("total_fee"), "shipping is charged all the same")
	o := h.order(q.Get("out_trade_no"))
	assert.Equal(t, "1 Main Street, Springfield", o.Address)
	assert.True(t, o.ShipTo.IsZero())
}

func TestCheckoutDefaultCountry(t *testing.T) {
	tests := []struct {
		accept string
		want   string // "" for none selected
	}{
		{"zh-CN,zh;q=0.9", "CN"},
		{"zh", "CN"},
		{"zh-TW", "TW"},
		{"en-GB,en;q=0.8", "GB"},
		{"en-US", "US"},
		{"en", ""},
		{"fr-FR,en;q=0.5", "FR"},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			b := h.browser(desktopUA).speaking(tt.accept)
			require.Equal(t, http.StatusSeeOther, b.add(h.product("silk-scarf").ID, 1).StatusCode)

			page := b.get("/checkout").Body

			selected := regexpAll(`<option value="([A-Z]*)" selected>`, page)
			if tt.want == "" {
				assert.Empty(t, selected)
			} else {
				assert.Equal(t, []string{tt.want}, selected)
			}
			assert.Equal(t, len(countries)+1, strings.Count(page, "<option "), "every country, and the prompt")
		})
	}
}

// TestAPIOrderAddress: POST /api/orders takes the address in parts or, as
// before, as one text, and says what shipping it charged.
func TestAPIOrderAddress(t *testing.T) {
	tests := []struct {
		name        string
		contact     string // the value of "contact"; "" for none
		wantStatus  int
		wantFields  []string
		wantAddress string
		wantShipTo  models.PostalAddress
	}{
		{"one text, as older clients send", `{"name":"Ann Lee","email":"ann@example.com","address":"1 Main Street, Springfield"}`,
			http.StatusCreated, nil, "1 Main Street, Springfield", models.PostalAddress{}},
		{"in parts", `{"name":"Li Lei","phone":"+86 138 0013 8000","country":"cn","province":"上海市","city":"上海市",` +
			`"street":"浦东新区世纪大道88号","postcode":"200120"}`,
			http.StatusCreated, nil, "200120 上海市 上海市\n浦东新区世纪大道88号\nMainland China",
			models.PostalAddress{Country: "CN", Province: "上海市", City: "上海市", Street: "浦东新区世纪大道88号", Postcode: "200120"}},
		{"no contact", "", http.StatusCreated, nil, "", models.PostalAddress{}},
		{"both", `{"name":"Ann Lee","email":"ann@example.com","address":"1 Main Street","country":"US","province":"IL",` +
			`"city":"Springfield","street":"1 Main Street","postcode":"62704"}`,
			http.StatusUnprocessableEntity, []string{"contact.address"}, "", models.PostalAddress{}},
		{"a wrong postcode", `{"name":"Ann Lee","email":"ann@example.com","country":"US","province":"IL",` +
			`"city":"Springfield","street":"1 Main Street","postcode":"6270"}`,
			http.StatusUnprocessableEntity, []string{"contact.postcode"}, "", models.PostalAddress{}},
		{"parts missing", `{"name":"Ann Lee","email":"ann@example.com","country":"AU"}`,
			http.StatusUnprocessableEntity, []string{"contact.city", "contact.postcode", "contact.province", "contact.street"}, "", models.PostalAddress{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newShippingHarness(t, func(c *Config) { c.Shipping = flatShipping })
			body := `{"items":[{"product_id":1,"quantity":1}],"channel":"wap"`
			if tt.contact != "" {
				body += `,"contact":` + tt.contact
			}
			body += "}"

			res, out := h.apiCall(http.MethodPost, "/api/orders", body, nil)

			require.Equal(t, tt.wantStatus, res.StatusCode, res.Body)
			if tt.wantStatus != http.StatusCreated {
				fields, _ := out["error"].(map[string]any)["fields"].(map[string]any)
				assert.Equal(t, tt.wantFields, keys(fields))
				assert.NotContains(t, res.Body, "ship.err", "messages, not keys")
				assert.Zero(t, h.orderCount())
				return
			}
			assert.Equal(t, []string{"currency", "items_fee", "order_no", "pay_url", "shipping_fee", "status", "total_fee"}, keys(out))
			assert.Equal(t, "47.00", out["total_fee"])
			assert.Equal(t, "39.00", out["items_fee"])
			assert.Equal(t, "8.00", out["shipping_fee"])
			q := gatewayParams(t, h, out["pay_url"].(string))
			assert.Equal(t, "47.00", q.Get("total_fee"))
			o := h.order(out["order_no"].(string))
			assert.Equal(t, tt.wantAddress, o.Address)
			assert.Equal(t, tt.wantShipTo, o.ShipTo)

			// The status keeps its keys; its total is what is paid.
			res, status := h.apiCall(http.MethodGet, "/api/orders/"+o.OrderNo, "", nil)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, []string{"currency", "order_no", "status", "total_fee", "trade_no"}, keys(status))
			assert.Equal(t, "47.00", status["total_fee"])
		})
	}
	t.Run("free shipping reads 0.00", func(t *testing.T) {
		h := newHarness(t, options{})
		res, out := h.apiCall(http.MethodPost, "/api/orders", `{"items":[{"product_id":1,"quantity":1}],"channel":"app"}`, nil)
		require.Equal(t, http.StatusCreated, res.StatusCode, res.Body)
		assert.Equal(t, "0.00", out["shipping_fee"])
		assert.Equal(t, "39.00", out["total_fee"])
	})
	t.Run("an older client's request is the same for its Idempotency-Key", func(t *testing.T) {
		var req apiOrderRequest
		old := `{"items":[{"product_id":1,"quantity":1}],"channel":"wap","contact":{"name":"A","phone":"","email":"a@example.com","address":"1 Main Street"}}`
		require.NoError(t, json.Unmarshal([]byte(old), &req))
		canon, err := json.Marshal(req)
		require.NoError(t, err)
		assert.JSONEq(t, old, string(canon))
		assert.Equal(t, old, string(canon), "byte for byte: the key's hash is of these bytes")
	})
}
