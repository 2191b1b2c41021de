package handlers

// The order list as CSV, streamed, every cell safe to open in a spreadsheet.

import (
	"encoding/csv"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// csvHeader names the export's columns.
var csvHeader = []string{"order_no", "created_at", "status", "currency", "total", "refunded", "trade_no",
	"name", "phone", "email", "address", "items", "flagged", "shipped_at", "carrier", "tracking_no"}

// csvFlushEvery is how many rows the export writes between flushes, so
// that the browser receives the file while it is being read.
const csvFlushEvery = 100

// adminOrdersCSV exports the orders the filters select, newest first, as
// CSV streamed row by row: an export of any size holds one batch of orders
// in memory. It is audited first: it hands out shoppers' personal data.
func (s *Server) adminOrdersCSV(c *gin.Context) {
	oq, f, err := parseOrderQuery(c.Request.URL.Query(), s.loc)
	if err != nil {
		s.fail(c, err)
		return
	}
	detail := "all orders"
	if v := oq.values(); len(v) > 0 {
		detail = "filters: " + v.Encode()
	}
	if err := s.audit(c, "export_orders", "", detail); err != nil {
		s.fail(c, err)
		return
	}
	// The server's write timeout is for pages; an export may take longer.
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(10 * time.Minute))

	// Line ends stay \n: with UseCRLF, csv.Writer would drop a lone \r
	// inside a cell, and spreadsheet programs read either.
	w := csv.NewWriter(c.Writer)
	rows := 0
	// The headers are sent with the first row, so that a failure before it
	// is still answered with an error page.
	start := func() error {
		name := "orders-" + s.now().In(s.loc).Format(time.DateOnly) + ".csv"
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
		c.Status(http.StatusOK)
		// A byte order mark, or Excel reads UTF-8 as the system's code page.
		if _, err := c.Writer.WriteString("\ufeff"); err != nil {
			return err
		}
		return w.Write(csvHeader)
	}
	err = s.admin.EachOrder(c.Request.Context(), f, func(o *models.Order) error {
		if rows == 0 {
			if err := start(); err != nil {
				return err
			}
		}
		if err := w.Write(s.csvRow(o)); err != nil {
			return err
		}
		rows++
		if rows%csvFlushEvery == 0 {
			w.Flush()
			c.Writer.Flush()
		}
		return w.Error()
	})
	if err == nil && rows == 0 {
		err = start()
	}
	if err == nil {
		w.Flush()
		err = w.Error()
	}
	if err != nil {
		if rows == 0 && !c.Writer.Written() {
			s.fail(c, err)
			return
		}
		// Too late for an error page: cut the connection, so that the
		// browser reports a failed download rather than a short file.
		level := slog.LevelError
		if c.Request.Context().Err() != nil {
			level = slog.LevelInfo // the browser went away
		}
		s.log.Log(c.Request.Context(), level, "export orders: stopped", "rows", rows, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// csvRow is an order's line in the export, every cell made safe to open
// in a spreadsheet.
func (s *Server) csvRow(o *models.Order) []string {
	cur := payment.Currency(o.Currency)
	items := make([]string, 0, len(o.Lines))
	for _, l := range o.Lines {
		items = append(items, fmt.Sprintf("%d x %s", l.Quantity, l.Name))
	}
	var tradeNo, shippedAt string
	if o.TradeNo != nil {
		tradeNo = *o.TradeNo
	}
	if o.ShippedAt != nil {
		shippedAt = o.ShippedAt.In(s.loc).Format(time.RFC3339)
	}
	row := []string{o.OrderNo, o.CreatedAt.In(s.loc).Format(time.RFC3339), string(o.Status), o.Currency,
		csvAmount(o.TotalMinor, cur), csvAmount(o.RefundedMinor, cur),
		tradeNo, o.Name, o.Phone, o.Email, o.Address, strings.Join(items, "; "), strconv.FormatBool(o.Flagged),
		shippedAt, o.Carrier, o.TrackingNo}
	for i := range row {
		row[i] = csvSafe(row[i])
	}
	return row
}

// csvAmount is an amount as a plain decimal, as Alipay writes it ("96.00",
// "1500" for JPY). payment.Amount refuses zero, which is not an amount
// Alipay accepts but is what most orders have refunded.
func csvAmount(minor int64, cur payment.Currency) string {
	if minor != 0 {
		return payment.Amount{Minor: minor, Currency: cur}.String()
	}
	if exp := cur.Exponent(); exp > 0 {
		return "0." + strings.Repeat("0", exp)
	}
	return "0"
}

// csvSafe neutralises a cell a spreadsheet would run as a formula (CSV
// injection): one starting with =, +, -, @, a tab or a carriage return
// gets a leading apostrophe. Phone numbers such as "+86 138…" are
// neutralised too: the export is text for people, and the apostrophe
// keeps them from being read as arithmetic.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
