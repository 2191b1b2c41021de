package handlers

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"shop/payment"
)

func TestFormatPrice(t *testing.T) {
	tests := []struct {
		minor    int64
		currency payment.Currency
		want     string
	}{
		{1250, "USD", "US$12.50"},
		{5, "USD", "US$0.05"},
		{123456789, "USD", "US$1,234,567.89"},
		{100000, "EUR", "€1,000.00"},
		{1500, "JPY", "JP¥1,500"},
		{1000000, "KRW", "₩1,000,000"},
		{999, "HKD", "HK$9.99"},
		{-250, "GBP", "-£2.50"},
		{1234, "MYR", "MYR 12.34"}, // no symbol: the code
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, formatPrice(tt.minor, tt.currency))
		})
	}
}
