// Command shop is a small storefront that takes payment through Alipay's
// cross-border "mapi" gateway, and the signature debugger for that protocol.
//
// Usage:
//
//	shop [serve]            run the shop (and, in sandbox mode, the sandbox gateway)
//	shop alipay sign        sign parameters read on stdin
//	shop alipay verify      verify signed parameters read on stdin
//	shop alipay keygen      write a new RSA key pair
//	shop admin add-user     create a staff account (password on stdin)
//	shop admin set-password set a staff account's password (on stdin)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `Usage: shop [command]

Commands:
  serve            run the shop (the default when no command is given)
  alipay sign      sign parameters read on stdin; print the pre-sign string and the sign
  alipay verify    verify signed parameters read on stdin; print valid or invalid: <reason>
  alipay keygen    write a new RSA key pair for Alipay
  admin add-user NAME
                   create the staff account NAME for /admin (password: first line of stdin)
  admin set-password NAME
                   set the password of the staff account NAME (first line of stdin)
                   and sign it out everywhere
  help             show this help

Configuration comes from the environment (ADDR, BASE_URL, DB_PATH, ADMIN_PASSWORD, ALIPAY_*).
Run "shop alipay --help" for the signature debugger, "shop admin --help" for
staff accounts.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

// run is the whole program: main only supplies the process's arguments (without
// the program name), environment, stdin and stdout, and tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return serve(ctx, args, getenv, stdout)
	}
	switch cmd := args[0]; {
	case cmd == "serve":
		return serve(ctx, args[1:], getenv, stdout)
	case cmd == "alipay":
		return alipay(args[1:], getenv, stdin, stdout)
	case cmd == "admin":
		return admin(ctx, args[1:], getenv, stdin, stdout)
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	case strings.HasPrefix(cmd, "-"):
		// "shop --addr :9090" is "shop serve --addr :9090".
		return serve(ctx, args, getenv, stdout)
	default:
		return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
	}
}
