package payment

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
)

// ParsePrivateKey reads an RSA private key as Alipay's tools hand it out:
// PEM ("PRIVATE KEY" or "RSA PRIVATE KEY") or bare base64 DER, PKCS #8 or
// PKCS #1. A public key, a non-RSA key or a key of the wrong size is an
// error that says so.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	der, kind, err := keyDER(data)
	if err != nil {
		return nil, err
	}
	if kind == "PUBLIC KEY" || kind == "RSA PUBLIC KEY" {
		return nil, fmt.Errorf("%w: this is a public key; a private key is needed here", ErrKey)
	}
	var key any
	if k, err8 := x509.ParsePKCS8PrivateKey(der); err8 == nil {
		key = k
	} else if k, err1 := x509.ParsePKCS1PrivateKey(der); err1 == nil {
		key = k
	} else if _, errp := x509.ParsePKIXPublicKey(der); errp == nil {
		return nil, fmt.Errorf("%w: this is a public key; a private key is needed here", ErrKey)
	} else {
		return nil, fmt.Errorf("%w: not a PKCS #8 or PKCS #1 private key: %v", ErrKey, err8)
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: private key is %s; Alipay needs RSA", ErrKey, keyKind(key))
	}
	if err := checkRSASize(rk.N.BitLen()); err != nil {
		return nil, err
	}
	if err := rk.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return rk, nil
}

// ParsePublicKey reads an RSA public key as Alipay distributes it: bare
// base64 of X.509 SubjectPublicKeyInfo, or the same in a "PUBLIC KEY" PEM
// block ("RSA PUBLIC KEY", PKCS #1, is accepted too).
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	der, kind, err := keyDER(data)
	if err != nil {
		return nil, err
	}
	if strings.Contains(kind, "PRIVATE") {
		return nil, fmt.Errorf("%w: this is a private key; Alipay's public key is needed here", ErrKey)
	}
	var key any
	if k, errp := x509.ParsePKIXPublicKey(der); errp == nil {
		key = k
	} else if k, err1 := x509.ParsePKCS1PublicKey(der); err1 == nil {
		key = k
	} else if _, err8 := x509.ParsePKCS8PrivateKey(der); err8 == nil {
		return nil, fmt.Errorf("%w: this is a private key; Alipay's public key is needed here", ErrKey)
	} else if _, err1 := x509.ParsePKCS1PrivateKey(der); err1 == nil {
		return nil, fmt.Errorf("%w: this is a private key; Alipay's public key is needed here", ErrKey)
	} else {
		return nil, fmt.Errorf("%w: not an X.509 (PKIX) public key: %v", ErrKey, errp)
	}
	rk, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: public key is %s; Alipay needs RSA", ErrKey, keyKind(key))
	}
	if err := checkRSASize(rk.N.BitLen()); err != nil {
		return nil, err
	}
	return rk, nil
}

// keyDER unwraps PEM, or decodes bare base64 (line breaks allowed).
func keyDER(data []byte) (der []byte, kind string, err error) {
	text := strings.TrimSpace(string(data))
	if text == "" {
		return nil, "", fmt.Errorf("%w: key is empty", ErrKey)
	}
	if strings.HasPrefix(text, "-----BEGIN") {
		block, _ := pem.Decode([]byte(text))
		if block == nil {
			return nil, "", fmt.Errorf("%w: malformed PEM", ErrKey)
		}
		if block.Type == "CERTIFICATE" {
			return nil, "", fmt.Errorf("%w: this is a certificate, not a key", ErrKey)
		}
		return block.Bytes, block.Type, nil
	}
	text = strings.Join(strings.Fields(text), "")
	der, err = base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, "", fmt.Errorf("%w: neither PEM nor base64: %v", ErrKey, err)
	}
	return der, "", nil
}

func keyKind(k any) string {
	switch k.(type) {
	case *ecdsa.PrivateKey, *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", k)
}

// GenerateKey makes a new RSA key pair of the given size (2048 for new
// integrations) and returns the private key as PKCS #8 PEM and the public key
// as bare base64 SubjectPublicKeyInfo, the form Alipay's portal asks for.
func GenerateKey(bits int) (privatePEM, publicB64 []byte, err error) {
	if err := checkRSASize(bits); err != nil {
		return nil, nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, nil, err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	privatePEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})
	publicB64 = []byte(base64.StdEncoding.EncodeToString(pub) + "\n")
	return privatePEM, publicB64, nil
}
