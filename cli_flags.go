package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"shop/payment"
)

// newFlagSet returns a flag set for one command that prints its usage (the
// synopsis, then the flags) on stdout.
func newFlagSet(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("shop alipay "+name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "%s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; done is true when --help was asked for and shown.
// The input is read on stdin, so arguments left over are a mistake.
func parseFlags(fs *flag.FlagSet, args []string) (done bool, err error) {
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return true, nil
	} else if err != nil {
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("unexpected argument %q: only flags are taken (sign and verify read the message on stdin)", fs.Arg(0))
	}
	return false, nil
}

// keyFlags are the key options of sign and verify. Their defaults come from
// the environment after parsing, so that --help never prints the MD5 key.
type keyFlags struct {
	signType, md5Key, file string
}

func registerKeyFlags(fs *flag.FlagSet, fileFlag, fileUsage string) *keyFlags {
	k := &keyFlags{}
	fs.StringVar(&k.signType, "sign-type", "", "sign `type`: MD5, RSA or RSA2 (default $ALIPAY_SIGN_TYPE, else RSA2)")
	fs.StringVar(&k.md5Key, "md5-key", "", "MD5 `key` (default $ALIPAY_MD5_KEY)")
	fs.StringVar(&k.file, fileFlag, "", fileUsage)
	return k
}

// resolve fills unset flags from the environment and returns the sign type.
func (k *keyFlags) resolve(getenv func(string) string, fileEnv string) (payment.SignType, error) {
	if k.signType == "" {
		k.signType = getenv("ALIPAY_SIGN_TYPE")
	}
	if k.signType == "" {
		k.signType = string(payment.RSA2)
	}
	if k.md5Key == "" {
		k.md5Key = getenv("ALIPAY_MD5_KEY")
	}
	if k.file == "" {
		k.file = getenv(fileEnv)
	}
	return payment.ParseSignType(k.signType)
}

func loadSigner(t payment.SignType, md5Key, file string) (payment.Signer, error) {
	if t == payment.MD5 {
		return loadMD5(md5Key)
	}
	b, err := readKey(t, file, "--private-key or ALIPAY_PRIVATE_KEY_FILE")
	if err != nil {
		return nil, err
	}
	key, err := payment.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return payment.NewRSASigner(t, key)
}

func loadVerifier(t payment.SignType, md5Key, file string) (payment.Verifier, error) {
	if t == payment.MD5 {
		return loadMD5(md5Key)
	}
	b, err := readKey(t, file, "--public-key or ALIPAY_PUBLIC_KEY_FILE")
	if err != nil {
		return nil, err
	}
	key, err := payment.ParsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return payment.NewRSAVerifier(t, key)
}

// readKey reads an RSA key file; from says how to name one.
func readKey(t payment.SignType, file, from string) ([]byte, error) {
	if file == "" {
		return nil, fmt.Errorf("sign type %s needs %s", t, from)
	}
	return os.ReadFile(file)
}

func loadMD5(key string) (*payment.MD5Key, error) {
	if key == "" {
		return nil, errors.New("sign type MD5 needs --md5-key or ALIPAY_MD5_KEY")
	}
	return payment.NewMD5Key(key)
}
