package ledger

import (
	"fmt"
	"testing"
	"time"

	"shop/models"
)

// BenchmarkMatch reconciles a month of a busy shop: 10,000 payments, each
// in both files.
func BenchmarkMatch(b *testing.B) {
	from := day("2026-11-01")
	p := Period{From: from, To: day("2026-11-30")}
	var in Input
	in.Period = p
	for d := range 31 {
		for _, f := range []models.SettlementFile{models.FileCompare, models.FileLiquidation} {
			in.Days = append(in.Days, models.SettlementDay{File: f, Day: from.AddDate(0, 0, d).Format(DayLayout)})
		}
	}
	for i := range 10000 {
		at := from.Add(time.Duration(i) * 4 * time.Minute)
		no := fmt.Sprintf("O%08d", i)
		in.Orders = append(in.Orders, models.LedgerOrder{OrderNo: no, Status: models.StatusPaid, Currency: "USD", TotalMinor: 1000, PaidAt: &at})
		for _, f := range []models.SettlementFile{models.FileCompare, models.FileLiquidation} {
			in.Lines = append(in.Lines, models.SettlementLine{File: f, Day: Day(at), PartnerTransID: no, Type: "P",
				AmountMinor: 1000, FeeMinor: 18, Currency: "USD", TransactionAt: at})
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if rep := Match(in); rep.Matched != 10000 {
			b.Fatalf("matched %d", rep.Matched)
		}
	}
}
