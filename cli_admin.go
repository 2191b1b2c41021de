package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"shop/models"
)

const adminUsage = `Usage: shop admin <command> NAME < password

Manage the staff accounts of the merchant admin (/admin).

Commands:
  add-user NAME       create the account NAME
  set-password NAME   set the password of the account NAME and sign it out
                      everywhere; it works whatever sign-in limits are in force

The password is the first line of stdin, 12 to 72 bytes, for example:
  printf '%s\n' "$NEW_PASSWORD" | shop admin set-password admin
An account name is 1 to 64 letters, digits, dots, dashes or underscores.
The database is DB_PATH (default shop.db), configured as for shop serve.
`

// maxPasswordLine bounds what is read of stdin: a password is at most
// models.MaxPasswordLen bytes.
const maxPasswordLine = 4096

// admin runs "shop admin <command>".
func admin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("admin needs a command\n\n%s", adminUsage)
	}
	cmd := args[0]
	switch cmd {
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, adminUsage)
		return err
	case "add-user", "set-password":
	default:
		return fmt.Errorf("unknown admin command %q\n\n%s", cmd, adminUsage)
	}
	if len(args) != 2 || strings.HasPrefix(args[1], "-") {
		return fmt.Errorf("admin %s needs one account name\n\n%s", cmd, adminUsage)
	}
	name := args[1]
	cfg, err := loadConfig(nil, getenv, stdout)
	if err != nil {
		return err
	}
	password, err := readPassword(stdin)
	if err != nil {
		return err
	}
	// models.Open would create an empty database: a mistyped DB_PATH must
	// not get an account nobody signs in with.
	if _, err := os.Stat(cfg.DBPath); err != nil {
		return fmt.Errorf("no database at %s: set DB_PATH to the shop's database (shop serve creates it on first start)", cfg.DBPath)
	}
	db, err := models.Open(ctx, cfg.DBPath, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	said, err := setStaffPassword(ctx, db, cmd == "add-user", name, password)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, said, name, cfg.DBPath)
	return err
}

// setStaffPassword creates the account name (create) or sets its password
// and audits it. It returns what it did, a format for the name and the
// database.
func setStaffPassword(ctx context.Context, db *models.DB, create bool, name, password string) (string, error) {
	_, err := db.StaffByName(ctx, name)
	switch {
	case create && err == nil:
		return "", fmt.Errorf("account %s already exists: use shop admin set-password %s to change its password", name, name)
	case !create && errors.Is(err, models.ErrNotFound):
		return "", fmt.Errorf("no account %s: use shop admin add-user %s to create it", name, name)
	case err != nil && !errors.Is(err, models.ErrNotFound):
		return "", err
	}
	hash, err := models.HashPassword(password, 0)
	if err != nil {
		return "", fmt.Errorf("the password on stdin: %w", err)
	}
	created, err := db.SetPassword(ctx, name, hash, create)
	if errors.Is(err, models.ErrStaffName) {
		return "", fmt.Errorf("%q: %w", name, models.ErrStaffName)
	}
	if err != nil {
		return "", err
	}
	action, detail, said := "set_password", "set with shop admin set-password; every session of the account ended",
		"Password of %s changed in %s; every session of the account was ended.\n"
	if created {
		action, detail, said = "add_user", "created with shop admin add-user",
			"Created account %s in %s; it can sign in at /admin/login.\n"
	}
	if err := db.Audit(ctx, models.AuditEntry{Action: action, Target: name, Detail: detail, Remote: "command line"}); err != nil {
		return "", err
	}
	return said, nil
}

// readPassword reads the first line of stdin, without its line ending.
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(stdin, maxPasswordLine)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", fmt.Errorf("no password on stdin (%w): pipe in one line, as in printf '%%s\\n' \"$NEW_PASSWORD\" | shop admin set-password NAME", models.ErrPassword)
	}
	return line, nil
}
