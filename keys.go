package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"shop/payment"
)

// credentials are the keys the shop and, in sandbox mode, the sandbox use.
type credentials struct {
	MD5Key          string
	PrivateKey      *rsa.PrivateKey // the merchant's
	AlipayPublicKey *rsa.PublicKey
	SandboxKey      *rsa.PrivateKey // the sandbox's own "Alipay" key; nil outside sandbox mode
	SessionKeys     [][]byte
}

// loadCredentials reads the configured key files and, where the
// configuration leaves a key unset, generates it on first run and keeps it
// in the key directory beside the database (sandbox mode only for Alipay
// keys), noting in c.generated which ones it did. Nothing secret is ever
// read from the repository.
func loadCredentials(c *config) (*credentials, error) {
	cr := &credentials{MD5Key: c.MD5Key}
	dir := c.KeyDir()
	sess, err := sessionKeys(c.SessionKey, dir)
	if err != nil {
		return nil, err
	}
	cr.SessionKeys = sess
	if c.SessionKey == "" {
		c.generated["SESSION_KEY"] = filepath.Join(dir, "session_key")
	}
	if c.PrivateKeyFile != "" {
		if cr.PrivateKey, err = readPrivateKey(c.PrivateKeyFile); err != nil {
			return nil, fmt.Errorf("ALIPAY_PRIVATE_KEY_FILE: %w", err)
		}
	}
	if c.PublicKeyFile != "" {
		if cr.AlipayPublicKey, err = readPublicKey(c.PublicKeyFile); err != nil {
			return nil, fmt.Errorf("ALIPAY_PUBLIC_KEY_FILE: %w", err)
		}
	}
	if c.MD5Key != "" {
		if _, err := payment.NewMD5Key(c.MD5Key); err != nil {
			return nil, fmt.Errorf("ALIPAY_MD5_KEY: %w", err)
		}
	}
	if !c.Sandbox() {
		return cr, nil
	}
	if cr.PrivateKey == nil {
		path := filepath.Join(dir, "merchant_private_key.pem")
		if cr.PrivateKey, err = generatedRSA(path); err != nil {
			return nil, err
		}
		c.generated["ALIPAY_PRIVATE_KEY_FILE"] = path
	}
	if cr.SandboxKey, err = generatedRSA(filepath.Join(dir, "sandbox_alipay_private_key.pem")); err != nil {
		return nil, err
	}
	if cr.AlipayPublicKey == nil {
		cr.AlipayPublicKey = &cr.SandboxKey.PublicKey
		c.generated["ALIPAY_PUBLIC_KEY_FILE"] = filepath.Join(dir, "sandbox_alipay_private_key.pem") + ", the sandbox's own"
	}
	if cr.MD5Key == "" {
		path := filepath.Join(dir, "md5_key")
		if cr.MD5Key, err = generatedMD5(path); err != nil {
			return nil, err
		}
		c.generated["ALIPAY_MD5_KEY"] = path
	}
	return cr, nil
}

func readPrivateKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return payment.ParsePrivateKey(b)
}

func readPublicKey(path string) (*rsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return payment.ParsePublicKey(b)
}

// generatedRSA loads the RSA key at path, creating a 2048-bit one first if
// there is none.
func generatedRSA(path string) (*rsa.PrivateKey, error) {
	if k, err := readPrivateKey(path); err == nil {
		return k, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	priv, _, err := payment.GenerateKey(2048)
	if err != nil {
		return nil, err
	}
	if err := writeNewFile(path, priv, 0o600); err != nil {
		return nil, err
	}
	return payment.ParsePrivateKey(priv)
}

// generatedMD5 loads or creates a 32-character MD5 key.
func generatedMD5(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), writeNewFile(path, append(b, '\n'), 0o600)
}

// sessionKeys returns the cookie keys: SESSION_KEY (hex, at least 32
// bytes), else a 64-byte key generated on first run. The first half
// authenticates, the second encrypts.
func sessionKeys(configured, dir string) ([][]byte, error) {
	var raw []byte
	if configured != "" {
		b, err := hex.DecodeString(strings.TrimSpace(configured))
		if err != nil || len(b) < 32 {
			return nil, errors.New("SESSION_KEY must be at least 64 hex digits (32 bytes); 128 gives separate signing and encryption keys")
		}
		raw = b
	} else {
		path := filepath.Join(dir, "session_key")
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			raw, err = hex.DecodeString(strings.TrimSpace(string(b)))
			if err != nil || len(raw) < 32 {
				return nil, fmt.Errorf("%s is damaged: delete it to generate a new one (sessions will reset)", path)
			}
		case errors.Is(err, fs.ErrNotExist):
			raw = make([]byte, 64)
			if _, err := rand.Read(raw); err != nil {
				return nil, err
			}
			if err := writeNewFile(path, []byte(hex.EncodeToString(raw)+"\n"), 0o600); err != nil {
				return nil, err
			}
		default:
			return nil, err
		}
	}
	if len(raw) >= 64 {
		return [][]byte{raw[:32], raw[32:64]}, nil
	}
	return [][]byte{raw, nil}, nil // authentication only
}

// writeNewFile creates path (and its directory, owner-only) with data and
// mode, never overwriting: keys are not replaced behind anyone's back. A
// file that could not be written completely is removed.
func writeNewFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; refusing to overwrite a key (move it away or choose another file)", path)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
