package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"shop/models"
)

// signRatePerCore is how many RSA-2048 PKCS#1 v1.5 SHA-256 signatures one
// goroutine makes per second: the work at the heart of every order.
func signRatePerCore(d time.Duration) (float64, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, err
	}
	digest := sha256.Sum256([]byte("_input_charset=utf-8&currency=USD&out_trade_no=LT0000000001&partner=2088101122136241"))
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// txRate is how many immediate write transactions per second SQLite
// commits, each updating one row, with the shop's own connection settings
// (models.Open: WAL, synchronous=FULL, _txlock=immediate, its pool)
// and as many concurrent writers as the notify scenario has senders.
func txRate(ctx context.Context, dir string, writers int, d time.Duration) (float64, error) {
	db, err := models.Open(ctx, filepath.Join(dir, "ceiling.db"), nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	g := db.Gorm().WithContext(ctx)
	if err := g.Exec("CREATE TABLE ceiling (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)").Error; err != nil {
		return 0, err
	}
	if err := g.Exec("INSERT INTO ceiling (id, n) VALUES (1, 0)").Error; err != nil {
		return 0, err
	}
	var done atomic.Int64
	var firstErr error
	var once sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for time.Since(start) < d {
				err := g.Transaction(func(tx *gorm.DB) error {
					return tx.Exec("UPDATE ceiling SET n = n + 1 WHERE id = 1").Error
				})
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, fmt.Errorf("bare transaction: %w", firstErr)
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}
