package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
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
	t, s, in, err := readMessage(args, getenv, stdin, stdout, loadSigner, keyCommand{
		name: "sign",
		synopsis: `Usage: shop alipay sign [flags] < input

Signs a query string, gateway URL or app order string read on stdin (any sign
and sign_type in it are ignored) with the merchant's key, and prints the
pre-sign string, the sign and the signed message.`,
		fileFlag:  "private-key",
		fileUsage: "`file` holding the merchant's RSA private key, PEM or bare base64 (default $ALIPAY_PRIVATE_KEY_FILE)",
		fileEnv:   "ALIPAY_PRIVATE_KEY_FILE",
	})
	if in == nil || err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	if in.order != nil {
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
	t, v, in, err := readMessage(args, getenv, stdin, stdout, loadVerifier, keyCommand{
		name: "verify",
		synopsis: `Usage: shop alipay verify [flags] < input

Verifies a query string, gateway URL or app order string read on stdin with
the configured sign type only, and prints the pre-sign string and valid, or
invalid: <reason> with exit status 1. Messages from Alipay verify with
Alipay's public key; a request or order string you signed verifies with the
public half of your own key.`,
		fileFlag:  "public-key",
		fileUsage: "`file` holding the RSA public key (Alipay's, or the half of the key that signed), PEM or bare base64 (default $ALIPAY_PUBLIC_KEY_FILE)",
		fileEnv:   "ALIPAY_PUBLIC_KEY_FILE",
	})
	if in == nil || err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	var reason string
	if in.order != nil {
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

// keyCommand is what sets sign and verify apart in the start they share:
// the command's name and usage, and the flag naming its RSA key file with
// the environment variable that defaults it.
type keyCommand struct {
	name, synopsis      string
	fileFlag, fileUsage string
	fileEnv             string
}

// readMessage is the start of sign and verify: it parses the command's
// flags, fills unset ones from the environment, loads the key (a Signer or a
// Verifier) with load and reads the message on stdin, refusing an app order
// string with MD5. It returns a nil input and no error when --help was shown.
func readMessage[K any](args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer,
	load func(t payment.SignType, md5Key, file string) (K, error), cmd keyCommand,
) (t payment.SignType, key K, in *input, err error) {
	fs := newFlagSet(cmd.name, cmd.synopsis, stdout)
	k := registerKeyFlags(fs, cmd.fileFlag, cmd.fileUsage)
	if done, err := parseFlags(fs, args); done || err != nil {
		return "", key, nil, err
	}
	if t, err = k.resolve(getenv, cmd.fileEnv); err != nil {
		return "", key, nil, err
	}
	if key, err = load(t, k.md5Key, k.file); err != nil {
		return "", key, nil, err
	}
	if in, err = readInput(stdin); err != nil {
		return "", key, nil, err
	}
	if in.order != nil && t == payment.MD5 {
		return "", key, nil, errors.New("app order strings are signed with RSA or RSA2 only; pass --sign-type RSA or RSA2")
	}
	return t, key, in, nil
}

func isSignatureError(err error) bool {
	return errors.Is(err, payment.ErrSignature) || errors.Is(err, payment.ErrSignType)
}
