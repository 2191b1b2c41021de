package models

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// cheapHash hashes password at bcrypt's lowest cost: the tests that only
// store a hash need not pay for the real one (seconds under -race).
func cheapHash(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	require.NoError(t, err)
	return string(h)
}

// staff creates the account name and returns it.
func staff(t *testing.T, db *DB, name string) *Staff {
	t.Helper()
	created, err := db.SetPassword(context.Background(), name, cheapHash(t, "a long enough passphrase"), true)
	require.NoError(t, err)
	require.True(t, created)
	s, err := db.StaffByName(context.Background(), name)
	require.NoError(t, err)
	return s
}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	max := strings.Repeat("x", MaxPasswordLen)
	refused := []struct{ name, password string }{
		{"empty", ""},
		{"one byte short", strings.Repeat("x", MinPasswordLen-1)},
		{"one byte too long: bcrypt would cut it", max + "y"},
		{"not UTF-8", strings.Repeat("x", MinPasswordLen) + "\xff"},
		{"3 Chinese characters are 9 bytes", "密码短"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := HashPassword(tt.password, bcrypt.MinCost)
			assert.ErrorIs(t, err, ErrPassword)
		})
	}

	hash, err := HashPassword(max, 0)
	require.NoError(t, err)
	cost, err := bcrypt.Cost([]byte(hash))
	require.NoError(t, err)
	assert.Equal(t, bcryptCost, cost)
	assert.True(t, CheckPassword(hash, max))
	assert.False(t, CheckPassword(hash, strings.Repeat("x", MaxPasswordLen-1)+"y"))
	assert.False(t, CheckPassword(hash, max+"y"), "bcrypt ignores what follows byte 72: longer is refused, not cut")
	assert.True(t, strings.HasPrefix(ErrPassword.Error(), "a password must be 12 to 72 bytes"))
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	owner := staff(t, db, "owner")
	other := staff(t, db, "other.person_2")
	for _, id := range []uint{owner.ID, owner.ID, other.ID} {
		_, _, err := db.CreateSession(ctx, id, time.Now(), time.Hour, "192.0.2.1", "test")
		require.NoError(t, err)
	}
	n, err := db.StaffCount(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)

	tests := []struct {
		name    string
		account string
		create  bool
		created bool
		err     error
	}{
		{"reset with create", "owner", true, false, nil},
		{"reset", "owner", false, false, nil},
		{"unknown account", "nobody", false, false, ErrNotFound},
		{"new account", "newcomer", true, true, nil},
		{"empty name", "", true, false, ErrStaffName},
		{"name too long", strings.Repeat("a", 65), true, false, ErrStaffName},
		{"name with a space", "the owner", true, false, ErrStaffName},
		{"name with a slash", "a/b", true, false, ErrStaffName},
		{"name not in ASCII", "店主", true, false, ErrStaffName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash := cheapHash(t, "another long passphrase")
			created, err := db.SetPassword(ctx, tt.account, hash, tt.create)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				_, err := db.StaffByName(ctx, tt.account)
				assert.ErrorIs(t, err, ErrNotFound, "no account made")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.created, created)
			s, err := db.StaffByName(ctx, tt.account)
			require.NoError(t, err)
			assert.Equal(t, hash, s.PasswordHash)
			assert.WithinDuration(t, time.Now(), s.PasswordChangedAt, time.Minute)
		})
	}

	var sessions []AdminSession
	require.NoError(t, db.Gorm().Find(&sessions).Error)
	require.Len(t, sessions, 1, "resetting ends every session of the account, only of that account")
	assert.Equal(t, other.ID, sessions[0].StaffID)
}

func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	owner := staff(t, db, "owner")
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	const idle, lifetime = 30 * time.Minute, 12 * time.Hour

	t.Run("stored by the hash of its token", func(t *testing.T) {
		token, s, err := db.CreateSession(ctx, owner.ID, start, lifetime, "192.0.2.1", strings.Repeat("u", 400))
		require.NoError(t, err)
		assert.Len(t, token, 64)
		var row AdminSession
		require.NoError(t, db.Gorm().Take(&row, "id = ?", SessionID(token)).Error)
		assert.NotEqual(t, token, row.ID)
		var n int64
		require.NoError(t, db.Gorm().Model(&AdminSession{}).Where("id = ? OR csrf_token = ?", token, token).Count(&n).Error)
		assert.Zero(t, n, "the table holds no usable cookie")
		assert.Len(t, row.UserAgent, 300)
		assert.Equal(t, start.Add(lifetime), row.ExpiresAt.UTC())
		assert.Len(t, s.CSRFToken, 64)
		assert.NotEqual(t, token, s.CSRFToken)

		got, err := db.Session(ctx, token, start.Add(time.Minute), idle)
		require.NoError(t, err)
		require.NotNil(t, got.Staff)
		assert.Equal(t, "owner", got.Staff.Name)
		assert.Equal(t, s.CSRFToken, got.CSRFToken)
	})

	tests := []struct {
		name  string
		steps []time.Duration // requests, as time since sign-in
		alive bool
	}{
		{"used within the idle limit", []time.Duration{29 * time.Minute, 58 * time.Minute, 87 * time.Minute}, true},
		{"idle too long", []time.Duration{idle + time.Second}, false},
		{"idle too long after a request", []time.Duration{20 * time.Minute, 20*time.Minute + idle + time.Second}, false},
		{"busy until the absolute end", func() []time.Duration {
			var d []time.Duration
			for at := 25 * time.Minute; at < lifetime; at += 25 * time.Minute {
				d = append(d, at)
			}
			return append(d, lifetime)
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, _, err := db.CreateSession(ctx, owner.ID, start, lifetime, "192.0.2.1", "test")
			require.NoError(t, err)
			var last error
			for i, at := range tt.steps {
				_, last = db.Session(ctx, token, start.Add(at), idle)
				if i < len(tt.steps)-1 {
					require.NoError(t, last, "request at %s", at)
				}
			}
			if tt.alive {
				assert.NoError(t, last)
				return
			}
			assert.ErrorIs(t, last, ErrNotFound)
			var n int64
			require.NoError(t, db.Gorm().Model(&AdminSession{}).Where("id = ?", SessionID(token)).Count(&n).Error)
			assert.Zero(t, n, "an expired session is deleted")
		})
	}

	t.Run("marked seen at most once a minute", func(t *testing.T) {
		token, _, err := db.CreateSession(ctx, owner.ID, start, lifetime, "192.0.2.1", "test")
		require.NoError(t, err)
		_, err = db.Session(ctx, token, start.Add(30*time.Second), idle)
		require.NoError(t, err)
		var row AdminSession
		require.NoError(t, db.Gorm().Take(&row, "id = ?", SessionID(token)).Error)
		assert.Equal(t, start, row.LastSeenAt.UTC())
		_, err = db.Session(ctx, token, start.Add(2*time.Minute), idle)
		require.NoError(t, err)
		require.NoError(t, db.Gorm().Take(&row, "id = ?", SessionID(token)).Error)
		assert.Equal(t, start.Add(2*time.Minute), row.LastSeenAt.UTC())
	})

	t.Run("deleted, unknown", func(t *testing.T) {
		token, _, err := db.CreateSession(ctx, owner.ID, start, lifetime, "192.0.2.1", "test")
		require.NoError(t, err)
		require.NoError(t, db.DeleteSession(ctx, token))
		_, err = db.Session(ctx, token, start, idle)
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = db.Session(ctx, RandomToken(), start, idle)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.NoError(t, db.DeleteSession(ctx, RandomToken()), "deleting what is gone is no error")
	})
}

func TestLoginAttempts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	since := now.Add(-15 * time.Minute)
	for _, a := range []LoginAttempt{
		{At: now.Add(-time.Minute), Client: "192.0.2.1", Name: "owner"},
		{At: now.Add(-2 * time.Minute), Client: "192.0.2.1", Name: "other"},
		{At: now.Add(-3 * time.Minute), Client: "192.0.2.1", Name: "owner", KnownDevice: true},
		{At: now.Add(-4 * time.Minute), Client: "192.0.2.2", Name: "owner"},
		{At: now.Add(-5 * time.Minute), Client: "192.0.2.1", Name: "owner", OK: true},
		{At: now.Add(-16 * time.Minute), Client: "192.0.2.1", Name: "owner"},
		{At: now.Add(-25 * time.Hour), Client: "192.0.2.1", Name: "owner"},
	} {
		require.NoError(t, db.RecordLogin(ctx, a))
	}
	tests := []struct {
		client, name     string
		byClient, byName int64
	}{
		// byClient: every failure from the address in the window, any
		// account, known device or not. byName: failures at the account
		// in the window from any address, known devices left out.
		{"192.0.2.1", "owner", 3, 2},
		{"192.0.2.2", "owner", 1, 2},
		{"192.0.2.1", "other", 3, 1},
		{"192.0.2.9", "nobody", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.client+" "+tt.name, func(t *testing.T) {
			byClient, byName, err := db.FailedLogins(ctx, tt.client, tt.name, since)
			require.NoError(t, err)
			assert.Equal(t, tt.byClient, byClient, "by client")
			assert.Equal(t, tt.byName, byName, "by name")
		})
	}

	t.Run("long values are cut", func(t *testing.T) {
		require.NoError(t, db.RecordLogin(ctx, LoginAttempt{At: now, Client: strings.Repeat("c", 200), Name: strings.Repeat("n", 200)}))
		_, byName, err := db.FailedLogins(ctx, "x", strings.Repeat("n", 64), since)
		require.NoError(t, err)
		assert.Equal(t, int64(1), byName)
	})

	t.Run("pruned", func(t *testing.T) {
		require.NoError(t, db.PruneLogins(ctx, now.Add(-24*time.Hour)))
		assert.Equal(t, int64(7), countRows(t, db, &LoginAttempt{}), "only the one older than a day is gone")
	})
}
