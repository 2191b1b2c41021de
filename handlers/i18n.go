package handlers

import (
	"net/http"

	"golang.org/x/text/language"
)

// The languages the shop speaks: English, and Simplified Chinese for the
// Alipay buyers most of whom read it.
var (
	langEN    = language.English
	langZH    = language.SimplifiedChinese
	supported = []language.Tag{langEN, langZH}
	matcher   = language.NewMatcher(supported)
)

// Lang is a page language: its BCP 47 tag and its message table.
type Lang struct {
	Tag  string // "en" or "zh-Hans", for <html lang>
	Code string // "en" or "zh", for links and the cookie
	msgs map[string]string
}

// T returns the message for key in this language, falling back to English
// and then to the key itself, so a missing translation shows, not breaks.
func (l Lang) T(key string) string {
	if m, ok := l.msgs[key]; ok {
		return m
	}
	if m, ok := messagesEN[key]; ok {
		return m
	}
	return key
}

// ZH reports whether the page is in Chinese (for product names stored twice).
func (l Lang) ZH() bool { return l.Code == "zh" }

var (
	english = Lang{Tag: "en", Code: "en", msgs: messagesEN}
	chinese = Lang{Tag: "zh-Hans", Code: "zh", msgs: messagesZH}
)

// langByCode returns the language for a switch link or stored preference.
func langByCode(code string) (Lang, bool) {
	switch code {
	case "en":
		return english, true
	case "zh":
		return chinese, true
	}
	return Lang{}, false
}

// negotiate picks the language: the shopper's stored choice if any, else
// the best match for Accept-Language, else English.
func negotiate(r *http.Request, stored string) Lang {
	if l, ok := langByCode(stored); ok {
		return l
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return english
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return english
	}
	if supported[i] == langZH {
		return chinese
	}
	return english
}

var messagesEN = map[string]string{
	"shop.name":             "Lantern & Leaf",
	"shop.tagline":          "Small goods, shipped worldwide. Pay with Alipay.",
	"sandbox.banner":        "Sandbox — no real money. Payments go to a local Alipay simulator.",
	"sandbox.console":       "Open the sandbox console",
	"nav.cart":              "Cart",
	"nav.home":              "Shop",
	"lang.switch":           "中文",
	"product.add":           "Add to cart",
	"product.stock":         "In stock",
	"product.soldout":       "Sold out",
	"product.quantity":      "Quantity",
	"product.left":          "left",
	"cart.title":            "Your cart",
	"cart.empty":            "Your cart is empty.",
	"cart.update":           "Update",
	"cart.remove":           "Remove",
	"cart.total":            "Total",
	"cart.checkout":         "Check out",
	"cart.continue":         "Continue shopping",
	"cart.added":            "Added to your cart.",
	"cart.updated":          "Cart updated.",
	"checkout.title":        "Checkout",
	"checkout.contact":      "Contact and delivery",
	"checkout.name":         "Full name",
	"checkout.phone":        "Mobile phone",
	"checkout.email":        "E-mail",
	"checkout.phoneoremail": "Give a mobile phone number, an e-mail address, or both.",
	"checkout.address":      "Delivery address",
	"checkout.pay":          "Pay with Alipay",
	"checkout.summary":      "Order summary",
	"checkout.fix":          "Please correct the fields marked below.",
	"err.name":              "Enter your name (up to 100 characters).",
	"err.contact":           "Enter a mobile phone number or an e-mail address.",
	"err.phone":             "Enter a phone number of 6 to 20 digits (spaces, +, - allowed).",
	"err.email":             "Enter a valid e-mail address.",
	"err.address":           "Enter a delivery address of 5 to 300 characters.",
	"order.title":           "Order",
	"order.status":          "Status",
	"order.pending":         "Waiting for payment",
	"order.paid":            "Paid",
	"order.closed":          "Closed",
	"order.refunded":        "Refunded",
	"order.confirming":      "Confirming your payment with Alipay… This page refreshes by itself.",
	"order.stillwaiting":    "Alipay has not confirmed the payment yet. We will update this order as soon as it does; you can refresh this page later.",
	"order.thanks":          "Thank you! Your payment was received.",
	"order.paynow":          "Pay with Alipay",
	"order.notpaid":         "This order has not been paid yet.",
	"order.closedmsg":       "This order was closed without payment. Items were returned to stock.",
	"order.trade":           "Alipay transaction",
	"order.lines":           "Items",
	"order.deliver":         "Deliver to",
	"order.expires":         "Pay before",
	"order.review":          "We are reviewing this payment and will contact you.",
	"error.title":           "Something went wrong",
	"error.back":            "Back to the shop",
	"error.notfound":        "We could not find that page.",
	"error.internal":        "Sorry, something went wrong on our side. Please try again in a moment.",
	"error.badrequest":      "That request could not be understood.",
	"error.stock":           "Not enough stock",
	"error.return":          "We could not confirm the message from Alipay. If you paid, your order will be updated as soon as Alipay notifies us.",
	"error.toomany":         "Too many requests. Please wait a moment and try again.",
	"error.forbidden":       "This request was refused. Please go back and try again.",
	"footer.note":           "Prices include taxes. Alipay converts them to CNY at its own rate.",
}

var messagesZH = map[string]string{
	"shop.name":             "灯与叶小店",
	"shop.tagline":          "精选小物，全球配送。支持支付宝付款。",
	"sandbox.banner":        "沙箱环境——不涉及真实资金。付款将发送到本地支付宝模拟器。",
	"sandbox.console":       "打开沙箱控制台",
	"nav.cart":              "购物车",
	"nav.home":              "商店",
	"lang.switch":           "English",
	"product.add":           "加入购物车",
	"product.stock":         "有货",
	"product.soldout":       "已售罄",
	"product.quantity":      "数量",
	"product.left":          "件剩余",
	"cart.title":            "我的购物车",
	"cart.empty":            "购物车是空的。",
	"cart.update":           "更新",
	"cart.remove":           "删除",
	"cart.total":            "合计",
	"cart.checkout":         "去结算",
	"cart.continue":         "继续购物",
	"cart.added":            "已加入购物车。",
	"cart.updated":          "购物车已更新。",
	"checkout.title":        "结算",
	"checkout.contact":      "联系与收货信息",
	"checkout.name":         "姓名",
	"checkout.phone":        "手机号码",
	"checkout.email":        "电子邮箱",
	"checkout.phoneoremail": "请填写手机号码或电子邮箱（或两者）。",
	"checkout.address":      "收货地址",
	"checkout.pay":          "使用支付宝付款",
	"checkout.summary":      "订单摘要",
	"checkout.fix":          "请修改下方标出的内容。",
	"err.name":              "请输入姓名（不超过100个字符）。",
	"err.contact":           "请填写手机号码或电子邮箱。",
	"err.phone":             "请输入6至20位数字的电话号码（可含空格、+、-）。",
	"err.email":             "请输入有效的电子邮箱。",
	"err.address":           "请输入5至300个字符的收货地址。",
	"order.title":           "订单",
	"order.status":          "状态",
	"order.pending":         "等待付款",
	"order.paid":            "已付款",
	"order.closed":          "已关闭",
	"order.refunded":        "已退款",
	"order.confirming":      "正在向支付宝确认您的付款……本页面会自动刷新。",
	"order.stillwaiting":    "支付宝尚未确认付款。确认后我们会立即更新订单，您可以稍后刷新本页。",
	"order.thanks":          "谢谢！我们已收到您的付款。",
	"order.paynow":          "使用支付宝付款",
	"order.notpaid":         "此订单尚未付款。",
	"order.closedmsg":       "此订单未付款已关闭，商品已退回库存。",
	"order.trade":           "支付宝交易号",
	"order.lines":           "商品",
	"order.deliver":         "收货信息",
	"order.expires":         "请在此时间前付款",
	"order.review":          "我们正在核对这笔付款，稍后会与您联系。",
	"error.title":           "出错了",
	"error.back":            "返回商店",
	"error.notfound":        "找不到该页面。",
	"error.internal":        "抱歉，我们这边出了点问题，请稍后再试。",
	"error.badrequest":      "无法处理该请求。",
	"error.stock":           "库存不足",
	"error.return":          "我们无法确认来自支付宝的信息。如果您已付款，支付宝通知我们后订单会自动更新。",
	"error.toomany":         "请求过于频繁，请稍候再试。",
	"error.forbidden":       "该请求被拒绝，请返回后重试。",
	"footer.note":           "价格含税。支付宝将按其汇率折算为人民币。",
}
