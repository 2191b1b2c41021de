package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"shop/models"
	"shop/payment"
)

// sandboxPartner is the sandbox's PID, the shop's partner in sandbox mode.
const sandboxPartner = "2088101122136241"

// paidOrder is an order a notification can pay.
type paidOrder struct {
	No, TotalFee string
}

// prepare gives every product plenty of stock (orders must not run out)
// and returns the product the order scenario buys and the product page's
// path.
func prepare(ctx context.Context, db *models.DB) (productID uint, productPath string, err error) {
	if err := db.Gorm().WithContext(ctx).Exec("UPDATE products SET stock = 10000000").Error; err != nil {
		return 0, "", fmt.Errorf("stock: %w", err)
	}
	products, err := db.Products(ctx)
	if err != nil {
		return 0, "", err
	}
	if len(products) == 0 {
		return 0, "", errors.New("the seeded catalog is empty")
	}
	return products[0].ID, "/products/" + products[0].Slug, nil
}

// ordersTarget posts the same small API order, at most limit times.
func ordersTarget(url string, productID uint, next *atomic.Int64, limit int64) vegeta.Targeter {
	body := fmt.Appendf(nil, `{"items":[{"product_id":%d,"quantity":1}],"channel":"wap"}`, productID)
	return bodiesTarget(url, "application/json", repeat(body, int(limit)), next, limit)
}

func repeat(b []byte, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// keepOrders collects the orders the API created, from its answers.
func keepOrders(mu *sync.Mutex, into *[]paidOrder) func(*vegeta.Result) {
	return func(res *vegeta.Result) {
		var o struct {
			OrderNo  string `json:"order_no"`
			TotalFee string `json:"total_fee"`
		}
		if json.Unmarshal(res.Body, &o) == nil && o.OrderNo != "" {
			mu.Lock()
			*into = append(*into, paidOrder{No: o.OrderNo, TotalFee: o.TotalFee})
			mu.Unlock()
		}
	}
}

// topUp creates orders directly in the database until there are at least
// n to pay, so that the notify scenario does not run out.
func topUp(ctx context.Context, db *models.DB, productID uint, orders []paidOrder, n int) ([]paidOrder, error) {
	for len(orders) < n {
		o, _, err := db.CreateOrder(ctx, models.NewOrder{OwnerID: "loadtest", Channel: models.ChannelWAP, Currency: "USD",
			Items: []models.Item{{ProductID: productID, Quantity: 1}}, ExpiresAt: time.Now().Add(time.Hour)})
		if err != nil {
			return nil, fmt.Errorf("create an order to pay: %w", err)
		}
		orders = append(orders, paidOrder{No: o.OrderNo, TotalFee: payment.Amount{Minor: o.TotalMinor, Currency: "USD"}.String()})
	}
	return orders, nil
}

// notifications signs one distinct trade_status_sync notification per
// order with the sandbox's Alipay key (RSA2), as the sandbox would send it,
// on every core.
func notifications(dbPath string, orders []paidOrder) ([][]byte, error) {
	pem, err := os.ReadFile(filepath.Join(dbPath+".keys", "sandbox_alipay_private_key.pem"))
	if err != nil {
		return nil, fmt.Errorf("the sandbox's key: %w", err)
	}
	priv, err := payment.ParsePrivateKey(pem)
	if err != nil {
		return nil, err
	}
	alipay, err := payment.NewRSASigner(payment.RSA2, priv)
	if err != nil {
		return nil, err
	}
	bodies := make([][]byte, len(orders))
	errs := make([]error, len(orders))
	day := time.Now().Format("20060102")
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(orders)); i = next.Add(1) - 1 {
				id := make([]byte, 17)
				_, _ = rand.Read(id)
				o := orders[i]
				p, err := payment.Sign(alipay, payment.Params{
					"notify_id": hex.EncodeToString(id), "notify_type": "trade_status_sync",
					"notify_time": payment.FormatTime(time.Now()), "out_trade_no": o.No,
					"trade_no": fmt.Sprintf("%s22001%015d", day, i), "trade_status": "TRADE_SUCCESS",
					"total_fee": o.TotalFee, "currency": "USD", "seller_id": sandboxPartner,
				})
				bodies[i], errs[i] = []byte(p.Encode()), err
			}
		})
	}
	wg.Wait()
	return bodies, errors.Join(errs...)
}

// notifyAnswer makes a notification that was not answered "success" an
// error, whatever its status.
func notifyAnswer(res *vegeta.Result) {
	if res.Error == "" && string(res.Body) != "success" {
		res.Error = "answered " + string(res.Body)
	}
}

// statusIs makes any other status than want an error.
func statusIs(want int) func(*vegeta.Result) {
	return func(res *vegeta.Result) {
		if res.Error == "" && int(res.Code) != want {
			res.Error = http.StatusText(int(res.Code))
		}
	}
}
