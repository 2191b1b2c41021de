package models

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOrderRow(t *testing.T) {
	db := openTestDB(t)
	o := createOrder(t, db, "owner-1", Item{ProductID: product(t, db, "tea-set").ID, Quantity: 2})

	got, err := db.OrderRow(context.Background(), o.OrderNo)

	require.NoError(t, err)
	assert.Equal(t, o.ID, got.ID)
	assert.Equal(t, "owner-1", got.OwnerID)
	assert.Equal(t, StatusPending, got.Status)
	assert.Equal(t, o.TotalMinor, got.TotalMinor)
	assert.Equal(t, o.Phone, got.Phone)
	assert.WithinDuration(t, o.ExpiresAt, got.ExpiresAt, time.Microsecond, "PostgreSQL keeps microseconds")
	assert.Empty(t, got.Lines, "without its lines")

	_, err = db.OrderRow(context.Background(), "20250101ZZZZZZZZZZZZZZZZ")
	assert.ErrorIs(t, err, ErrNotFound)
}
