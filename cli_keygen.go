package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"shop/payment"
)

// alipayKeygen writes a new merchant key pair, never over existing files.
func alipayKeygen(args []string, stdout io.Writer) error {
	fs := newFlagSet("keygen", `Usage: shop alipay keygen [flags]

Writes a new RSA key pair: the private key for ALIPAY_PRIVATE_KEY_FILE and the
public key to upload to Alipay's merchant portal. Existing files are never
overwritten.`, stdout)
	bits := fs.Int("bits", 2048, "key size in bits (1024 only for legacy RSA)")
	priv := fs.String("private", "merchant_private_key.pem", "`file` to write the private key to (PKCS #8 PEM, mode 0600)")
	pub := fs.String("public", "merchant_public_key.b64", "`file` to write the public key to (bare base64, as Alipay's portal takes it)")
	if done, err := parseFlags(fs, args); done || err != nil {
		return err
	}
	if *priv == *pub {
		return errors.New("--private and --public must be different files")
	}
	for _, name := range []string{*priv, *pub} {
		if _, err := os.Lstat(name); err == nil {
			return fmt.Errorf("%s already exists; refusing to overwrite a key (move it away or choose another file)", name)
		}
	}
	privPEM, pubB64, err := payment.GenerateKey(*bits)
	if err != nil {
		return err
	}
	if err := writeNewFile(*priv, privPEM, 0o600); err != nil {
		return err
	}
	if err := writeNewFile(*pub, pubB64, 0o644); err != nil {
		os.Remove(*priv)
		return err
	}
	out := bufio.NewWriter(stdout)
	fmt.Fprintf(out, "private key: %s (mode 0600)\n", *priv)
	fmt.Fprintf(out, "public key: %s\n", *pub)
	fmt.Fprintf(out, "\nUpload this public key to Alipay's merchant portal, and keep the private key secret\n"+
		"(never commit it, never ship it in an app):\n\n%s\n"+
		"Then set ALIPAY_PRIVATE_KEY_FILE=%s\n"+
		"and put Alipay's own public key (download it from the portal) in ALIPAY_PUBLIC_KEY_FILE.\n", pubB64, *priv)
	return out.Flush()
}
