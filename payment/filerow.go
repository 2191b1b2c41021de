package payment

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RowType says whether a line of a reconciliation or settlement file is a
// payment or a refund.
type RowType string

// The row types of the files.
const (
	RowPayment RowType = "P"
	RowRefund  RowType = "R"
)

// FileRow is one line of a reconciliation (forex_compare_file) or
// settlement (forex_liquidation_file) file.
//
// Both files are plain text, one transaction a line, nine fields
// separated by '|', in this order (the order of Alipay's description and of
// the open-source integrations that read the files; the column names are
// an inference, the same for both files):
//
//	partner transaction id | amount | currency | transaction time |
//	settlement time | type (P or R) | fee | status | remarks
//
// Times are yyyyMMddHHmmss in Beijing time, the settlement time empty
// until settled; amounts and fee are decimals in the currency. The reader
// also takes a header line before the first row, trailing empty fields,
// a missing remarks field and yyyy-MM-dd HH:mm:ss times.
type FileRow struct {
	// PartnerTransID is the merchant's id: a payment's out_trade_no, a
	// refund's out_return_no.
	PartnerTransID string
	Type           RowType
	Amount         Amount // minor units of its currency, never a float
	Fee            Amount // Alipay's charge, in the same currency
	// TransactionTime and SettlementTime are in Beijing time;
	// SettlementTime is zero when its field is empty.
	TransactionTime time.Time
	SettlementTime  time.Time
	Status          string
	Remarks         string
	Line            int // 1-based line number in the file
}

// fileFields is the number of fields of a row.
const fileFields = 9

// isNoData reports whether a file body is Alipay's text for an empty
// period: "No balance account data in the period" for the reconciliation
// file, a variant with "amount" for the settlement file.
func isNoData(body string) bool {
	s := strings.ToLower(strings.TrimSpace(body))
	return strings.HasPrefix(s, "no ") && strings.Contains(s, "data in the period") && !strings.Contains(s, "\n")
}

// parseFile reads the rows of a file. An empty period is no rows and no
// error; an empty body is an error, as it says nothing.
func parseFile(body string) ([]FileRow, error) {
	body = strings.TrimPrefix(body, "\ufeff")
	if isNoData(body) {
		return []FileRow{}, nil
	}
	rows := []FileRow{}
	first := true
	for i, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Split(line, "|")
		for j := range f {
			f[j] = strings.TrimSpace(f[j])
		}
		if first && isHeader(f) {
			first = false
			continue
		}
		first = false
		r, err := parseFileRow(f)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %v", i+1, clip(line), err)
		}
		r.Line = i + 1
		rows = append(rows, r)
	}
	if len(rows) == 0 && first {
		return nil, errors.New("the answer is empty")
	}
	return rows, nil
}

// isHeader reports whether the first line names the columns rather than
// holding a row: its type field is not a row type and its amount field is
// not a number.
func isHeader(f []string) bool {
	if len(f) < 6 {
		return false
	}
	t := RowType(f[5])
	return t != RowPayment && t != RowRefund && strings.Trim(f[1], "0123456789.-") != ""
}

func parseFileRow(f []string) (FileRow, error) {
	if len(f) < fileFields-1 {
		return FileRow{}, fmt.Errorf("want %d fields separated by |, got %d", fileFields, len(f))
	}
	for _, extra := range f[min(len(f), fileFields):] {
		if extra != "" {
			return FileRow{}, fmt.Errorf("want %d fields separated by |, got %d", fileFields, len(f))
		}
	}
	r := FileRow{PartnerTransID: f[0], Type: RowType(f[5]), Status: f[7]}
	if len(f) > 8 {
		r.Remarks = f[8]
	}
	if r.PartnerTransID == "" {
		return r, errors.New("the partner transaction id is empty")
	}
	if r.Type != RowPayment && r.Type != RowRefund {
		return r, fmt.Errorf("type %q is not P or R", clip(f[5]))
	}
	c := Currency(f[2])
	if !c.Valid() {
		return r, fmt.Errorf("currency %q is unknown", clip(f[2]))
	}
	var err error
	r.Amount.Currency, r.Fee.Currency = c, c
	if r.Amount.Minor, err = parseFileAmount(f[1], c); err != nil {
		return r, fmt.Errorf("amount: %v", err)
	}
	if f[6] != "" {
		if r.Fee.Minor, err = parseFileAmount(f[6], c); err != nil {
			return r, fmt.Errorf("fee: %v", err)
		}
	}
	if r.TransactionTime, err = parseEitherTime(f[3]); err != nil {
		return r, fmt.Errorf("transaction time %q is not yyyyMMddHHmmss", clip(f[3]))
	}
	if f[4] != "" {
		if r.SettlementTime, err = parseEitherTime(f[4]); err != nil {
			return r, fmt.Errorf("settlement time %q is not yyyyMMddHHmmss", clip(f[4]))
		}
	}
	return r, nil
}

// parseFileAmount reads a file amount exactly into minor units of c: an
// optional '-', digits, optionally a dot and digits, a whole number of
// minor units ("12.50" USD, "1500" or "1500.00" JPY). Zero is allowed (a
// fee can be); exponents, separators and fractions of a minor unit are not.
func parseFileAmount(s string, c Currency) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(digits, ".")
	if !isDigits(whole) || dot && !isDigits(frac) {
		return 0, fmt.Errorf("%q is not a plain decimal number", clip(s))
	}
	exp := c.Exponent()
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, fmt.Errorf("%q is not a whole number of minor units of %s", clip(s), c)
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 13 {
		return 0, fmt.Errorf("%q is too large", clip(s))
	}
	n, _ := strconv.ParseInt("0"+whole+frac, 10, 64) // at most 16 digits: cannot fail
	if neg {
		n = -n
	}
	return n, nil
}
