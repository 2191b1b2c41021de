package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"shop/models"
)

// openDB opens a new database file for a test.
func openDB(t *testing.T) (*models.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.db")
	db, err := models.Open(context.Background(), path, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db, path
}

// bootstrap runs bootstrapAdmin on db with ADMIN_PASSWORD set to password
// and returns what it logged.
func bootstrap(t *testing.T, db *models.DB, password string) (string, error) {
	t.Helper()
	var log syncBuffer
	err := bootstrapAdmin(context.Background(), db, password, bcrypt.MinCost, slog.New(slog.NewTextHandler(&log, nil)))
	return log.String(), err
}

// sessionsOf counts the admin sessions of the account name.
func sessionsOf(t *testing.T, db *models.DB, name string) int64 {
	t.Helper()
	st, err := db.StaffByName(context.Background(), name)
	require.NoError(t, err)
	var n int64
	require.NoError(t, db.Gorm().Model(&models.AdminSession{}).Where("staff_id = ?", st.ID).Count(&n).Error)
	return n
}

// lastAudit returns the newest audit entry.
func lastAudit(t *testing.T, db *models.DB) models.AuditEntry {
	t.Helper()
	es, _, err := db.AuditLog(context.Background(), 1, 1)
	require.NoError(t, err)
	require.Len(t, es, 1)
	return es[0]
}

var generatedRE = regexp.MustCompile(`level=WARN msg="admin account created with a generated password, shown only this once: ` +
	`sign in at /admin/login and change it at /admin/password[^"]*" name=admin password=([` + passwordAlphabet + `]{20})\n`)

// TestBootstrapPrintsPasswordOnce runs the real serve twice on one
// database: the first start creates admin and logs its password at warn
// level; the next one logs no password.
func TestBootstrapPrintsPasswordOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	env := map[string]string{"ADDR": "127.0.0.1:0", "DB_PATH": path}
	_, first, stop := startServe(t, env)
	require.NoError(t, stop())
	_, second, stop := startServe(t, env)
	require.NoError(t, stop())

	m := generatedRE.FindAllStringSubmatch(first.String(), -1)
	require.Len(t, m, 1, first.String())
	assert.NotContains(t, second.String(), " password=")
	assert.NotContains(t, second.String(), m[0][1])

	db, err := models.Open(context.Background(), path, nil)
	require.NoError(t, err)
	defer db.Close()
	st, err := db.StaffByName(context.Background(), "admin")
	require.NoError(t, err)
	assert.True(t, models.CheckPassword(st.PasswordHash, m[0][1]), "the password logged is admin's")
	e := lastAudit(t, db)
	assert.Equal(t, []string{"add_user", "admin", "start-up"}, []string{e.Action, e.Target, e.Remote})
}

func TestBootstrapAdminPassword(t *testing.T) {
	ctx := context.Background()
	const envPassword = "the admin passphrase"

	t.Run("creates admin", func(t *testing.T) {
		t.Parallel()
		db, _ := openDB(t)
		log, err := bootstrap(t, db, envPassword)
		require.NoError(t, err)
		assert.Contains(t, log, `level=INFO msg="admin account created with ADMIN_PASSWORD" name=admin`)
		assert.NotContains(t, log, envPassword)
		st, err := db.StaffByName(ctx, "admin")
		require.NoError(t, err)
		assert.True(t, models.CheckPassword(st.PasswordHash, envPassword))
		assert.Equal(t, "add_user", lastAudit(t, db).Action)
	})

	t.Run("resets admin, once", func(t *testing.T) {
		t.Parallel()
		db, _ := openDB(t)
		_, err := db.SetPassword(ctx, "admin", "an older password's hash", true)
		require.NoError(t, err)
		st, err := db.StaffByName(ctx, "admin")
		require.NoError(t, err)
		_, _, err = db.CreateSession(ctx, st.ID, time.Now(), time.Hour, "192.0.2.1", "test")
		require.NoError(t, err)

		log, err := bootstrap(t, db, envPassword)
		require.NoError(t, err)
		assert.Contains(t, log, `level=WARN msg="admin account: password reset to ADMIN_PASSWORD and its sessions ended; `+
			`unset ADMIN_PASSWORD to keep a password changed in the admin across restarts"`)
		st, err = db.StaffByName(ctx, "admin")
		require.NoError(t, err)
		assert.True(t, models.CheckPassword(st.PasswordHash, envPassword))
		assert.Zero(t, sessionsOf(t, db, "admin"))
		e := lastAudit(t, db)
		assert.Equal(t, []string{"set_password", "admin", "start-up"}, []string{e.Action, e.Target, e.Remote})

		// The next start with the same ADMIN_PASSWORD signs nobody out.
		_, _, err = db.CreateSession(ctx, st.ID, time.Now(), time.Hour, "192.0.2.1", "test")
		require.NoError(t, err)
		log, err = bootstrap(t, db, envPassword)
		require.NoError(t, err)
		assert.Contains(t, log, "password is ADMIN_PASSWORD's, unchanged")
		assert.Equal(t, int64(1), sessionsOf(t, db, "admin"))
		again, err := db.StaffByName(ctx, "admin")
		require.NoError(t, err)
		assert.Equal(t, st.PasswordHash, again.PasswordHash)
	})

	t.Run("a password breaking the rules stops the start", func(t *testing.T) {
		t.Parallel()
		db, _ := openDB(t)
		for _, bad := range []string{"short", strings.Repeat("x", 73)} {
			_, err := bootstrap(t, db, bad)
			require.Error(t, err)
			assert.ErrorIs(t, err, models.ErrPassword)
			assert.Contains(t, err.Error(), "ADMIN_PASSWORD breaks the password rules: a password must be 12 to 72 bytes")
		}
		n, err := db.StaffCount(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "no account made")
	})

	t.Run("other accounts and no ADMIN_PASSWORD: nothing to do", func(t *testing.T) {
		t.Parallel()
		db, _ := openDB(t)
		_, err := db.SetPassword(ctx, "alice", "not a real hash", true)
		require.NoError(t, err)
		log, err := bootstrap(t, db, "")
		require.NoError(t, err)
		assert.Empty(t, log)
		_, err = db.StaffByName(ctx, "admin")
		assert.ErrorIs(t, err, models.ErrNotFound)
	})
}

// TestBootstrapRefusesBadPassword: through the real start, with the rule
// in the message.
func TestBootstrapRefusesBadPassword(t *testing.T) {
	env := map[string]string{"ADDR": "127.0.0.1:0", "DB_PATH": filepath.Join(t.TempDir(), "shop.db"), "ADMIN_PASSWORD": "hunter2"}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ADMIN_PASSWORD breaks the password rules: a password must be 12 to 72 bytes")
}

func TestRandomPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := randomPassword()
		assert.Len(t, p, generatedPassword)
		assert.GreaterOrEqual(t, len(p), models.MinPasswordLen, "a generated password keeps the rules")
		assert.Empty(t, strings.Trim(p, passwordAlphabet), "only readable characters")
		assert.False(t, seen[p])
		seen[p] = true
	}
}
