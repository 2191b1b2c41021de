package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"shop/payment"
)

const alipayUsage = `Usage: shop alipay <command> [flags] < input

The signature debugger, for when Alipay answers ILLEGAL_SIGN: it shows the
exact string that is signed.

Commands:
  sign     sign the parameters on stdin; print presign:, sign: and the signed
           query:, url: or order_string:
  verify   verify the signed parameters on stdin; print presign: and valid,
           or invalid: <reason> (exit status 1)
  keygen   write a new RSA key pair for the merchant

sign and verify read one of:
  a query string       _input_charset=utf-8&partner=2088101122136241&...
                       (values raw or percent-encoded)
  a gateway URL        https://intlmapi.alipay.com/gateway.do?_input_charset=utf-8&...
  an app order string  _input_charset="UTF-8"&partner="2088101122136241"&...

Keys default to the shop's configuration: ALIPAY_SIGN_TYPE (else RSA2),
ALIPAY_MD5_KEY, ALIPAY_PRIVATE_KEY_FILE (sign), ALIPAY_PUBLIC_KEY_FILE (verify).
Run "shop alipay <command> --help" for a command's flags.
`

// errInvalid is returned after verify printed "invalid: <reason>", so that
// the exit status is 1.
var errInvalid = errors.New("signature invalid")

// maxInput bounds what sign and verify read from stdin.
const maxInput = 1 << 20

// alipay runs "shop alipay <command>".
func alipay(args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("alipay needs a command\n\n%s", alipayUsage)
	}
	switch args[0] {
	case "sign":
		return alipaySign(args[1:], getenv, stdin, stdout)
	case "verify":
		return alipayVerify(args[1:], getenv, stdin, stdout)
	case "keygen":
		return alipayKeygen(args[1:], stdout)
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, alipayUsage)
		return err
	}
	return fmt.Errorf("unknown alipay command %q\n\n%s", args[0], alipayUsage)
}

// alipaySign signs the message on stdin and prints it signed.
func alipaySign(args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlagSet("sign", `Usage: shop alipay sign [flags] < input

Signs a query string, gateway URL or app order string read on stdin (any sign
and sign_type in it are ignored) with the merchant's key, and prints the
pre-sign string, the sign and the signed message.`, stdout)
	k := registerKeyFlags(fs, "private-key", "`file` holding the merchant's RSA private key, PEM or bare base64 (default $ALIPAY_PRIVATE_KEY_FILE)")
	if done, err := parseFlags(fs, args); done || err != nil {
		return err
	}
	t, err := k.resolve(getenv, "ALIPAY_PRIVATE_KEY_FILE")
	if err != nil {
		return err
	}
	s, err := loadSigner(t, k.md5Key, k.file)
	if err != nil {
		return err
	}
	in, err := readInput(stdin)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	if in.order != nil {
		if t == payment.MD5 {
			return errors.New("app order strings are signed with RSA or RSA2 only; pass --sign-type RSA or RSA2")
		}
		// Empty values are left out, as VerifyOrderString does.
		var pairs []payment.KV
		for _, kv := range in.order.Pairs {
			if kv.Value != "" {
				pairs = append(pairs, kv)
			}
		}
		signed, err := payment.SignOrderString(s, pairs)
		if err != nil {
			return err
		}
		o, err := payment.ParseOrderString(signed)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "presign: %s\n", payment.QuotePairs(pairs))
		fmt.Fprintf(out, "sign: %s\n", o.Sign)
		fmt.Fprintf(out, "order_string: %s\n", signed)
		return out.Flush()
	}
	p := in.params.Clone()
	delete(p, "sign")
	delete(p, "sign_type")
	signed, err := payment.Sign(s, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "presign: %s\n", p.PreSign())
	fmt.Fprintf(out, "sign: %s\n", signed["sign"])
	if in.base != "" {
		fmt.Fprintf(out, "url: %s?%s\n", in.base, signed.Encode())
	} else {
		fmt.Fprintf(out, "query: %s\n", signed.Encode())
	}
	for _, n := range queryNotes(in, t, false) {
		fmt.Fprintf(out, "note: %s\n", n)
	}
	return out.Flush()
}

// alipayVerify verifies the message on stdin with the configured sign type.
func alipayVerify(args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlagSet("verify", `Usage: shop alipay verify [flags] < input

Verifies a query string, gateway URL or app order string read on stdin with
the configured sign type only, and prints the pre-sign string and valid, or
invalid: <reason> with exit status 1. Messages from Alipay verify with
Alipay's public key; a request or order string you signed verifies with the
public half of your own key.`, stdout)
	k := registerKeyFlags(fs, "public-key", "`file` holding the RSA public key (Alipay's, or the half of the key that signed), PEM or bare base64 (default $ALIPAY_PUBLIC_KEY_FILE)")
	if done, err := parseFlags(fs, args); done || err != nil {
		return err
	}
	t, err := k.resolve(getenv, "ALIPAY_PUBLIC_KEY_FILE")
	if err != nil {
		return err
	}
	v, err := loadVerifier(t, k.md5Key, k.file)
	if err != nil {
		return err
	}
	in, err := readInput(stdin)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	var reason string
	if in.order != nil {
		if t == payment.MD5 {
			return errors.New("app order strings are signed with RSA or RSA2 only; pass --sign-type RSA or RSA2")
		}
		fmt.Fprintf(out, "presign: %s\n", in.order.PreSign())
		if strings.Contains(in.order.Sign, "+") && strings.Contains(in.raw, `sign="`+in.order.Sign+`"`) {
			fmt.Fprintln(out, "note: the sign is not URL-escaped: the Alipay SDK URL-decodes it and reads '+' as a space; escape it as SignOrderString does")
		}
		_, err = payment.VerifyOrderString(v, in.raw)
		if err == nil && v.Verify([]byte(in.order.PreSign()), in.order.Sign) != nil {
			fmt.Fprintf(out, "note: the signature is over the pairs in key order: %s\n", in.order.SortedPreSign())
		}
		if isSignatureError(err) {
			reason = payment.DiagnoseOrderString(v, in.raw)
		}
	} else {
		fmt.Fprintf(out, "presign: %s\n", in.params.PreSign())
		for _, n := range queryNotes(in, t, true) {
			fmt.Fprintf(out, "note: %s\n", n)
		}
		err = payment.Verify(v, in.params, "")
		if isSignatureError(err) {
			reason = payment.Diagnose(v, in.params, "")
		}
	}
	switch {
	case reason != "":
		fmt.Fprintf(out, "invalid: %s\n", reason)
		if err := out.Flush(); err != nil {
			return err
		}
		return errInvalid
	case err != nil:
		out.Flush() // the pre-sign string still helps
		return err
	}
	fmt.Fprintln(out, "valid")
	return out.Flush()
}

func isSignatureError(err error) bool {
	return errors.Is(err, payment.ErrSignature) || errors.Is(err, payment.ErrSignType)
}

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
	if err := writeNew(*priv, privPEM, 0o600); err != nil {
		return err
	}
	if err := writeNew(*pub, pubB64, 0o644); err != nil {
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

// writeNew creates name with data, failing if it exists.
func writeNew(name string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists; refusing to overwrite a key (move it away or choose another file)", name)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

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

// input is the message read on stdin: a query string, a gateway URL (base is
// the part before '?') or an app order string (order and raw).
type input struct {
	base   string
	query  string
	params payment.Params
	order  *payment.OrderString
	raw    string
}

func readInput(stdin io.Reader) (*input, error) {
	b, err := io.ReadAll(io.LimitReader(stdin, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("stdin holds more than %d bytes; a message is much smaller", maxInput)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil, errors.New(`nothing on stdin: pipe in a query string (k=v&...), a gateway URL or an app order string (k="v"&...)`)
	}
	if i := strings.IndexByte(s, '='); i > 0 && strings.HasPrefix(s[i:], `="`) {
		o, err := payment.ParseOrderString(s)
		if err != nil {
			return nil, fmt.Errorf("reading the order string: %w", err)
		}
		return &input{order: o, raw: s}, nil
	}
	in := &input{}
	if lower := strings.ToLower(s); strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		base, query, ok := strings.Cut(s, "?")
		if !ok {
			return nil, errors.New("the URL has no query string (nothing after '?')")
		}
		in.base, s = base, query
		s, _, _ = strings.Cut(s, "#")
	}
	in.query = strings.TrimPrefix(s, "?")
	// Text pasted in a terminal is UTF-8 whatever _input_charset says; only
	// percent-encoded bytes are in the message's own charset.
	charset := ""
	if !isASCII(in.query) {
		charset = "utf-8"
	}
	in.params, err = payment.ParseQuery([]byte(in.query), charset)
	if err != nil {
		return nil, fmt.Errorf("reading the query: %w", err)
	}
	return in, nil
}

// queryNotes warns about a raw '+', which query decoding reads as a space,
// and about query output that a non-UTF-8 gateway would misread.
func queryNotes(in *input, t payment.SignType, verifying bool) []string {
	var notes []string
	for _, pair := range strings.Split(in.query, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if !strings.Contains(v, "+") {
			continue
		}
		if key, err := url.QueryUnescape(k); err == nil {
			k = key
		}
		switch {
		case k == "sign" && verifying && t == payment.MD5:
			notes = append(notes, "the sign contains '+', which query decoding reads as a space; an MD5 sign is hex and never contains '+'")
		case k == "sign" && verifying:
			notes = append(notes, "the sign contains a literal '+', which query decoding reads as a space; RepairSign puts it back for RSA and RSA2, but senders must escape it as %2B")
		case k != "sign":
			notes = append(notes, fmt.Sprintf("the '+' in %s was read as a space (query encoding); write %%2B for a literal plus", k))
		}
	}
	if cs := strings.ToLower(in.params.Charset()); !verifying && cs != "utf-8" && cs != "utf8" && !isASCII(in.params.PreSign()) {
		notes = append(notes, "the signed query percent-encodes UTF-8 bytes, but _input_charset="+cs+": a gateway decodes non-ASCII values as "+cs)
	}
	return notes
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
