package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// Staff is a merchant's account for the admin.
type Staff struct {
	ID                uint
	Name              string
	PasswordHash      string
	PasswordChangedAt time.Time
	CreatedAt         time.Time
}

// TableName is the table the migrations create.
func (Staff) TableName() string { return "staff" }

// Password rules. bcrypt reads at most 72 bytes of a password: a longer
// one would be silently cut, so it is refused instead.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 72
	// DefaultPasswordCost is bcrypt's work factor for staff passwords
	// (about a quarter of a second per hash on a current core).
	DefaultPasswordCost = 12
	bcryptCost          = DefaultPasswordCost
)

// ErrPassword is wrapped when a password breaks the rules.
var ErrPassword = fmt.Errorf("a password must be %d to %d bytes", MinPasswordLen, MaxPasswordLen)

// ErrStaffName is wrapped when an account name is not acceptable.
var ErrStaffName = errors.New("an account name is 1 to 64 letters, digits, dots, dashes or underscores")

// HashPassword checks password against the rules and hashes it with bcrypt
// at cost (0 means DefaultPasswordCost). Tests pass bcrypt.MinCost: under
// the race detector the default costs seconds per hash.
func HashPassword(password string, cost int) (string, error) {
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen || !utf8.ValidString(password) {
		return "", ErrPassword
	}
	if cost == 0 {
		cost = DefaultPasswordCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches hash, in constant time.
func CheckPassword(hash, password string) bool {
	return len(password) <= MaxPasswordLen && bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// dummyHashes holds, per bcrypt cost, a hash compared against when an
// account does not exist, so that a sign-in takes as long whether or not
// the name is right.
var dummyHashes sync.Map // cost -> []byte

// SpendPasswordCheck costs what CheckPassword of a hash made at cost (0:
// DefaultPasswordCost) costs, for names that have no account.
func SpendPasswordCheck(password string, cost int) {
	if cost == 0 {
		cost = DefaultPasswordCost
	}
	h, ok := dummyHashes.Load(cost)
	if !ok {
		made, err := bcrypt.GenerateFromPassword([]byte("not a password of anyone's"), cost)
		if err != nil {
			return
		}
		h, _ = dummyHashes.LoadOrStore(cost, made)
	}
	_ = bcrypt.CompareHashAndPassword(h.([]byte), []byte(password))
}

func validStaffName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// SetPassword sets the password hash of the account name, creating the
// account when create is true and it does not exist (otherwise a missing
// account is ErrNotFound). Changing a password ends every session of the
// account. It reports whether the account was created.
func (db *DB) SetPassword(ctx context.Context, name, hash string, create bool) (created bool, err error) {
	if !validStaffName(name) {
		return false, ErrStaffName
	}
	err = db.transaction(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		var s Staff
		err := tx.Where("name = ?", name).Take(&s).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound) && create:
			created = true
			return tx.Create(&Staff{Name: name, PasswordHash: hash, PasswordChangedAt: now, CreatedAt: now}).Error
		case err != nil:
			return notFound(err)
		}
		if err := tx.Model(&s).Updates(map[string]any{"password_hash": hash, "password_changed_at": now}).Error; err != nil {
			return err
		}
		return tx.Where("staff_id = ?", s.ID).Delete(&AdminSession{}).Error
	})
	if err != nil {
		return false, fmt.Errorf("set password of %s: %w", name, err)
	}
	return created, nil
}

// StaffByName returns the account called name, or ErrNotFound.
func (db *DB) StaffByName(ctx context.Context, name string) (*Staff, error) {
	var s Staff
	if err := db.gorm.WithContext(ctx).Where("name = ?", name).Take(&s).Error; err != nil {
		return nil, fmt.Errorf("staff %s: %w", name, notFound(err))
	}
	return &s, nil
}

// StaffCount returns how many accounts exist.
func (db *DB) StaffCount(ctx context.Context) (int64, error) {
	var n int64
	if err := db.gorm.WithContext(ctx).Model(&Staff{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count staff: %w", err)
	}
	return n, nil
}

// AdminSession is a signed-in staff member's session, kept on the server:
// signing out deletes it, whatever the browser keeps.
type AdminSession struct {
	ID         string // SHA-256 of the cookie's token, hex
	StaffID    uint
	Staff      *Staff `gorm:"foreignKey:StaffID"`
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute: the session ends then however busy
	Remote     string
	UserAgent  string
}

// TableName is the table the migrations create.
func (AdminSession) TableName() string { return "admin_sessions" }

// SessionID is the stored id of a session token: its SHA-256.
func SessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RandomToken returns 32 random bytes, hex-encoded.
func RandomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// CreateSession starts a session for staffID and returns its token, the
// only copy (the database keeps its hash).
func (db *DB) CreateSession(ctx context.Context, staffID uint, now time.Time, lifetime time.Duration, remote, userAgent string) (token string, s *AdminSession, err error) {
	token = RandomToken()
	s = &AdminSession{ID: SessionID(token), StaffID: staffID, CSRFToken: RandomToken(), CreatedAt: now.UTC(),
		LastSeenAt: now.UTC(), ExpiresAt: now.Add(lifetime).UTC(), Remote: clip(remote, 100), UserAgent: clip(userAgent, 300)}
	err = db.write(ctx, func(g *gorm.DB) error { return g.Omit("Staff").Create(s).Error })
	if err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return token, s, nil
}

// Session returns the live session whose token is given, with its staff
// member, and marks it seen at now. A session idle longer than idle, past
// its absolute expiry, or unknown is ErrNotFound (and deleted).
func (db *DB) Session(ctx context.Context, token string, now time.Time, idle time.Duration) (*AdminSession, error) {
	var s AdminSession
	g := db.gorm.WithContext(ctx)
	if err := g.Preload("Staff").Where("id = ?", SessionID(token)).Take(&s).Error; err != nil {
		return nil, fmt.Errorf("session: %w", notFound(err))
	}
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) > idle || s.Staff == nil {
		_ = db.write(ctx, func(g *gorm.DB) error { return g.Delete(&AdminSession{}, "id = ?", s.ID).Error })
		return nil, fmt.Errorf("session expired: %w", ErrNotFound)
	}
	// Marking it seen once a minute is enough for the idle limit.
	if now.Sub(s.LastSeenAt) > time.Minute {
		err := db.write(ctx, func(g *gorm.DB) error {
			return g.Model(&AdminSession{}).Where("id = ?", s.ID).Update("last_seen_at", now.UTC()).Error
		})
		if err != nil {
			return nil, fmt.Errorf("session: %w", err)
		}
	}
	return &s, nil
}

// DeleteSession ends the session whose token is given.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	err := db.write(ctx, func(g *gorm.DB) error { return g.Delete(&AdminSession{}, "id = ?", SessionID(token)).Error })
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// LoginAttempt is one try at signing in.
type LoginAttempt struct {
	ID          uint
	At          time.Time
	Client      string // the client's address
	Name        string // the account name tried
	KnownDevice bool   // the browser had signed in to this account before
	OK          bool
}

// TableName is the table the migrations create.
func (LoginAttempt) TableName() string { return "login_attempts" }

// RecordLogin stores one attempt.
func (db *DB) RecordLogin(ctx context.Context, a LoginAttempt) error {
	a.At, a.Client, a.Name = a.At.UTC(), clip(a.Client, 100), clip(a.Name, 64)
	if err := db.write(ctx, func(g *gorm.DB) error { return g.Create(&a).Error }); err != nil {
		return fmt.Errorf("record sign-in attempt: %w", err)
	}
	return nil
}

// FailedLogins counts the failed attempts since `since` from client (any
// account), and against name from browsers that had not signed in to it
// before.
func (db *DB) FailedLogins(ctx context.Context, client, name string, since time.Time) (byClient, byName int64, err error) {
	g := db.gorm.WithContext(ctx).Model(&LoginAttempt{})
	if err = g.Where("client = ? AND at >= ? AND NOT ok", client, since.UTC()).Count(&byClient).Error; err != nil {
		return 0, 0, fmt.Errorf("count sign-in attempts: %w", err)
	}
	g = db.gorm.WithContext(ctx).Model(&LoginAttempt{})
	if err = g.Where("name = ? AND at >= ? AND NOT ok AND NOT known_device", name, since.UTC()).Count(&byName).Error; err != nil {
		return 0, 0, fmt.Errorf("count sign-in attempts: %w", err)
	}
	return byClient, byName, nil
}

// PruneLogins deletes attempts older than before.
func (db *DB) PruneLogins(ctx context.Context, before time.Time) error {
	return db.write(ctx, func(g *gorm.DB) error { return g.Where("at < ?", before.UTC()).Delete(&LoginAttempt{}).Error })
}
