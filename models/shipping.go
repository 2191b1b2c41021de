package models

import (
	"fmt"
	"math"
)

// PostalAddress is a delivery address in parts. Country is an ISO 3166-1
// alpha-2 code ("CN", "US"); the parts a country does without are empty.
// Which parts a country needs, and the form of its postcodes, are the
// checkout's rules (package handlers): the store keeps what they accepted.
type PostalAddress struct {
	Country  string `gorm:"not null;default:''"`
	Province string `gorm:"not null;default:''"` // province, state, prefecture or region
	City     string `gorm:"not null;default:''"`
	Street   string `gorm:"not null;default:''"` // street, number, building, flat: one or more lines
	Postcode string `gorm:"not null;default:''"`
}

// IsZero reports whether no part is given: an order with only a free-text
// address.
func (a PostalAddress) IsZero() bool { return a == PostalAddress{} }

// Shipping is the shop's shipping charge, in minor units of the order's
// currency: a flat charge per order, waived for orders whose items cost
// FreeOverMinor or more. The zero value ships everything free.
type Shipping struct {
	FlatMinor int64 // 0: free shipping
	// FreeOverMinor is the items' total from which an order ships free;
	// 0 means never.
	FreeOverMinor int64
}

// Charge returns the shipping charge for items costing itemsMinor.
func (s Shipping) Charge(itemsMinor int64) int64 {
	if s.FreeOverMinor > 0 && itemsMinor >= s.FreeOverMinor {
		return 0
	}
	return s.FlatMinor
}

// Validate reports a charge or threshold that is negative.
func (s Shipping) Validate() error {
	if s.FlatMinor < 0 || s.FreeOverMinor < 0 {
		return fmt.Errorf("shipping %d, free from %d: %w", s.FlatMinor, s.FreeOverMinor, ErrInvalid)
	}
	return nil
}

// addShipping returns the total of items costing itemsMinor with their
// shipping charge, and the charge; ErrTotal if the sum does not fit.
func addShipping(itemsMinor int64, s Shipping) (total, shipping int64, err error) {
	shipping = s.Charge(itemsMinor)
	if shipping < 0 || itemsMinor > math.MaxInt64-shipping {
		return 0, 0, ErrTotal
	}
	return itemsMinor + shipping, shipping, nil
}
