package main

import (
	"context"
	"errors"
	"io"
)

// serve runs the shop. It is a placeholder until the storefront is built.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return errors.New("the storefront is not built yet; try: shop alipay --help")
}
