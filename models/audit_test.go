package models

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for i := range 5 {
		require.NoError(t, db.Audit(ctx, AuditEntry{At: start.Add(time.Duration(i) * time.Minute), Staff: "owner",
			Action: "sign_in", Target: "owner", Detail: "entry " + strconv.Itoa(i), Remote: "192.0.2.1"}))
	}
	// Of two entries at the same time, the one written last comes first.
	require.NoError(t, db.Audit(ctx, AuditEntry{At: start.Add(4 * time.Minute), Action: "sign_out", Detail: "entry 5"}))

	t.Run("newest first, in pages", func(t *testing.T) {
		tests := []struct {
			page, perPage int
			want          []string
		}{
			{1, 2, []string{"entry 5", "entry 4"}},
			{2, 2, []string{"entry 3", "entry 2"}},
			{3, 2, []string{"entry 1", "entry 0"}},
			{4, 2, nil},
			{0, 0, []string{"entry 5", "entry 4", "entry 3", "entry 2", "entry 1", "entry 0"}}, // page 1 of 50
			{1, 1000, []string{"entry 5", "entry 4", "entry 3", "entry 2", "entry 1", "entry 0"}},
		}
		for _, tt := range tests {
			es, total, err := db.AuditLog(ctx, tt.page, tt.perPage)
			require.NoError(t, err)
			assert.Equal(t, int64(6), total)
			var got []string
			for _, e := range es {
				got = append(got, e.Detail)
			}
			assert.Equal(t, tt.want, got, "page %d of %d", tt.page, tt.perPage)
		}
	})

	t.Run("what is stored", func(t *testing.T) {
		es, _, err := db.AuditLog(ctx, 1, 6)
		require.NoError(t, err)
		e := es[len(es)-1]
		assert.Equal(t, AuditEntry{ID: e.ID, At: start.UTC(), Staff: "owner", Action: "sign_in", Target: "owner",
			Detail: "entry 0", Remote: "192.0.2.1"}, AuditEntry{ID: e.ID, At: e.At.UTC(), Staff: e.Staff, Action: e.Action,
			Target: e.Target, Detail: e.Detail, Remote: e.Remote})
	})

	t.Run("no time means now; long values are cut", func(t *testing.T) {
		db := openTestDB(t)
		require.NoError(t, db.Audit(ctx, AuditEntry{Action: "sign_in_failed", Detail: strings.Repeat("界", 1000), Remote: strings.Repeat("r", 200)}))
		es, _, err := db.AuditLog(ctx, 1, 1)
		require.NoError(t, err)
		require.Len(t, es, 1)
		assert.WithinDuration(t, time.Now(), es[0].At, time.Minute)
		assert.LessOrEqual(t, len(es[0].Detail), 2000)
		assert.True(t, strings.HasPrefix(strings.Repeat("界", 1000), es[0].Detail), "cut on a character boundary")
		assert.Len(t, es[0].Remote, 100)
	})
}
