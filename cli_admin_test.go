package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
)

// TestAdminCommands runs "shop admin ..." through run, in order, on one
// database: each step sees what the steps before it did.
func TestAdminCommands(t *testing.T) {
	ctx := context.Background()
	db, path := openDB(t)
	env := map[string]string{"DB_PATH": path}
	const first, second = "a long enough passphrase", "quite another passphrase"

	steps := []struct {
		name  string
		stdin string
		args  []string
		out   string // what it says, with $DB for the database
		err   string // a part of the error
	}{
		{"add a user", first + "\n", []string{"add-user", "alice"}, "Created account alice in $DB; it can sign in at /admin/login.\n", ""},
		{"add the same user", first + "\n", []string{"add-user", "alice"}, "", "account alice already exists: use shop admin set-password alice"},
		{"set a password, CRLF and all", second + "\r\nthe second line is not read\n", []string{"set-password", "alice"},
			"Password of alice changed in $DB; every session of the account was ended.\n", ""},
		{"set the password of nobody", first, []string{"set-password", "bob"}, "", "no account bob: use shop admin add-user bob"},
		{"empty stdin", "", []string{"add-user", "bob"}, "", "no password on stdin (a password must be 12 to 72 bytes): pipe in one line"},
		{"empty line", "\n" + first, []string{"add-user", "bob"}, "", "no password on stdin"},
		{"short password", "hunter2\n", []string{"set-password", "alice"}, "", "the password on stdin: a password must be 12 to 72 bytes"},
		{"long password", strings.Repeat("x", 73), []string{"add-user", "bob"}, "", "a password must be 12 to 72 bytes"},
		{"bad name", first, []string{"add-user", "bob smith"}, "", `"bob smith": an account name is 1 to 64 letters, digits, dots, dashes or underscores`},
		{"no name", first, []string{"add-user"}, "", "admin add-user needs one account name"},
		{"two names", first, []string{"set-password", "alice", "bob"}, "", "admin set-password needs one account name"},
		{"a flag for a name", first, []string{"set-password", "--name"}, "", "needs one account name"},
		{"no command", "", nil, "", "admin needs a command"},
		{"unknown command", "", []string{"delete-user", "alice"}, "", `unknown admin command "delete-user"`},
		{"help", "", []string{"--help"}, adminUsage, ""},
	}
	st, err := db.StaffByName(ctx, "alice")
	require.ErrorIs(t, err, models.ErrNotFound)
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "set a password, CRLF and all" {
				st, err = db.StaffByName(ctx, "alice")
				require.NoError(t, err)
				_, _, err = db.CreateSession(ctx, st.ID, time.Now(), time.Hour, "192.0.2.1", "test")
				require.NoError(t, err)
			}
			out, err := shop(t, env, tt.stdin, append([]string{"admin"}, tt.args...)...)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				assert.Empty(t, out)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, strings.ReplaceAll(tt.out, "$DB", path), out)
		})
	}

	st, err = db.StaffByName(ctx, "alice")
	require.NoError(t, err)
	assert.True(t, models.CheckPassword(st.PasswordHash, second), "the password is the first line, without its line ending")
	n, err := db.StaffCount(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "bob was never made")
	assert.Zero(t, sessionsOf(t, db, "alice"), "set-password ended alice's session")
	es, _, err := db.AuditLog(ctx, 1, 10)
	require.NoError(t, err)
	require.Len(t, es, 2)
	for i, action := range []string{"set_password", "add_user"} {
		assert.Equal(t, []string{action, "alice", "command line"}, []string{es[i].Action, es[i].Target, es[i].Remote})
	}
}

func TestAdminCommandNeedsDatabase(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "typo.db")
	_, err := shop(t, map[string]string{"DB_PATH": missing}, "a long enough passphrase\n", "admin", "add-user", "alice")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no database at "+missing+": set DB_PATH")
	assert.NoFileExists(t, missing, "no empty database made")

	_, err = shop(t, map[string]string{"DB_PATH": missing, "ALIPAY_SIGN_TYPE": "DSA"}, "a long enough passphrase\n", "admin", "add-user", "alice")
	assert.ErrorContains(t, err, "ALIPAY_SIGN_TYPE", "the configuration is checked as for serve")

	out, err := shop(t, nil, "", "help")
	require.NoError(t, err)
	assert.Contains(t, out, "admin set-password NAME")
}
