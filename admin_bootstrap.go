package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"

	"shop/models"
)

// adminName is the account ADMIN_PASSWORD sets and the first start creates.
const adminName = "admin"

// passwordAlphabet leaves out characters that are easy to misread (0 O o,
// 1 l I): a generated password is copied from a log by a person. 20 of them
// make 115 random bits.
const (
	passwordAlphabet  = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	generatedPassword = 20
)

// bootstrapAdmin makes sure someone can sign in to the admin. With
// ADMIN_PASSWORD (password) set, the account admin is created with it or
// reset to it (which ends its sessions); a password already equal is left
// alone, so a restart signs nobody out. Without it, a database with no
// account gets admin with a generated password, logged once at warn level;
// otherwise nothing happens.
func bootstrapAdmin(ctx context.Context, db *models.DB, password string, cost int, log *slog.Logger) error {
	if password == "" {
		return generateAdmin(ctx, db, cost, log)
	}
	st, err := db.StaffByName(ctx, adminName)
	switch {
	case err == nil && models.CheckPassword(st.PasswordHash, password):
		log.Info("admin account: password is ADMIN_PASSWORD's, unchanged", "name", adminName)
		return nil
	case err != nil && !errors.Is(err, models.ErrNotFound):
		return err
	}
	hash, err := models.HashPassword(password, cost)
	if errors.Is(err, models.ErrPassword) {
		return fmt.Errorf("ADMIN_PASSWORD breaks the password rules: %w; set a longer one, or unset it (the first start then generates one)", err)
	}
	if err != nil {
		return err
	}
	created, err := db.SetPassword(ctx, adminName, hash, true)
	if err != nil {
		return err
	}
	action, detail := "set_password", "reset to ADMIN_PASSWORD at start-up; every session of the account ended"
	if created {
		action, detail = "add_user", "created with ADMIN_PASSWORD at start-up"
	}
	if err := db.Audit(ctx, models.AuditEntry{Action: action, Target: adminName, Detail: detail, Remote: "start-up"}); err != nil {
		return err
	}
	if created {
		log.Info("admin account created with ADMIN_PASSWORD", "name", adminName)
		return nil
	}
	log.Warn("admin account: password reset to ADMIN_PASSWORD and its sessions ended; "+
		"unset ADMIN_PASSWORD to keep a password changed in the admin across restarts", "name", adminName)
	return nil
}

// generateAdmin creates admin with a random password if there is no
// account at all, and logs the password: the only copy.
func generateAdmin(ctx context.Context, db *models.DB, cost int, log *slog.Logger) error {
	n, err := db.StaffCount(ctx)
	if err != nil || n > 0 {
		return err
	}
	password := randomPassword()
	hash, err := models.HashPassword(password, cost)
	if err != nil {
		return err
	}
	if _, err := db.SetPassword(ctx, adminName, hash, true); err != nil {
		return err
	}
	if err := db.Audit(ctx, models.AuditEntry{Action: "add_user", Target: adminName,
		Detail: "created with a generated password at first start-up", Remote: "start-up"}); err != nil {
		return err
	}
	log.Warn("admin account created with a generated password, shown only this once: sign in at /admin/login "+
		"and change it at /admin/password (or set one with: shop admin set-password admin)",
		"name", adminName, "password", password)
	return nil
}

// randomPassword returns generatedPassword characters of passwordAlphabet,
// each equally likely: random bytes past the last whole multiple of the
// alphabet's length are skipped rather than folded onto its start.
func randomPassword() string {
	n := len(passwordAlphabet)
	limit := 256 - 256%n
	out := make([]byte, 0, generatedPassword)
	b := make([]byte, 1)
	for len(out) < generatedPassword {
		_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
		if int(b[0]) < limit {
			out = append(out, passwordAlphabet[int(b[0])%n])
		}
	}
	return string(out)
}
