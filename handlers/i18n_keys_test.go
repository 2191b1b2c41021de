package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
)

// msgCall is a use of a message: its key, and the placeholder names the
// caller fills (nil if it did not say them all as constants).
type msgCall struct {
	where string
	key   string
	names []string
	known bool // names are all constants
}

// templateCalls returns the calls of T, Tf and Tn in the templates.
func templateCalls(t *testing.T) []msgCall {
	t.Helper()
	fsys := os.DirFS(filepath.Join("..", "views"))
	files, err := fs.Glob(fsys, "*.html")
	require.NoError(t, err)
	var pages []string
	for _, glob := range []string{"pages/*.html", "admin/*.html", "admin/pages/*.html"} {
		more, err := fs.Glob(fsys, glob)
		require.NoError(t, err)
		require.NotEmpty(t, more, glob)
		pages = append(pages, more...)
	}
	var calls []msgCall
	for _, name := range append(files, pages...) {
		src, err := fs.ReadFile(fsys, name)
		require.NoError(t, err)
		tree := parse.New(name)
		tree.Mode = parse.SkipFuncCheck // asset, eq, gt... need no definitions here
		trees := map[string]*parse.Tree{}
		_, err = tree.Parse(string(src), "", "", trees)
		require.NoError(t, err, name)
		for _, tr := range trees {
			walkNodes(tr.Root, func(n parse.Node) {
				cmd, ok := n.(*parse.CommandNode)
				if !ok || len(cmd.Args) == 0 {
					return
				}
				method := lastIdent(cmd.Args[0])
				if method != "T" && method != "Tf" && method != "Tn" {
					return
				}
				where := name + ": " + cmd.String()
				require.GreaterOrEqual(t, len(cmd.Args), 2, where)
				key, ok := cmd.Args[1].(*parse.StringNode)
				if !assert.True(t, ok, "%s: the key must be a constant string, so that it can be checked", where) {
					return
				}
				var args []msgArg
				for _, a := range cmd.Args[2:] {
					s, ok := a.(*parse.StringNode)
					args = append(args, msgArg{ok: ok})
					if ok {
						args[len(args)-1].s = s.Text
					}
				}
				calls = append(calls, newCall(where, key.Text, method, args))
			})
		}
	}
	return calls
}

func lastIdent(n parse.Node) string {
	var idents []string
	switch n := n.(type) {
	case *parse.FieldNode:
		idents = n.Ident
	case *parse.VariableNode:
		idents = n.Ident
	case *parse.ChainNode:
		idents = n.Field
	}
	if len(idents) == 0 {
		return ""
	}
	return idents[len(idents)-1]
}

// keyLike is what a message key looks like: "error.stock", "order.number".
var keyLike = regexp.MustCompile(`^[a-z]+\.[a-z][a-z.]*$`)

// goCalls returns the message keys the handlers' Go code names as
// constants: arguments of T, Tf and Tn and of the functions that pass a key
// on to T (fail, flash, newPage), and any string that looks like a key in
// a namespace of the msgCatalog (as validate's "err.name").
func goCalls(t *testing.T, namespaces map[string]bool) []msgCall {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	keyArg := map[string]int{"T": 0, "Tf": 0, "Tn": 0, "fail": 2, "flash": 1, "newPage": 1}
	var calls []msgCall
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		inCall := map[*ast.BasicLit]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var fn string
			switch f := call.Fun.(type) {
			case *ast.Ident:
				fn = f.Name
			case *ast.SelectorExpr:
				fn = f.Sel.Name
			}
			i, ok := keyArg[fn]
			if !ok || i >= len(call.Args) {
				return true
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			c := msgCall{where: fset.Position(lit.Pos()).String(), key: key}
			if fn == "T" || fn == "Tf" || fn == "Tn" {
				var args []msgArg
				for _, a := range call.Args[1:] {
					l, ok := a.(*ast.BasicLit)
					ok = ok && l.Kind == token.STRING
					args = append(args, msgArg{ok: ok})
					if ok {
						args[len(args)-1].s, _ = strconv.Unquote(l.Value)
					}
				}
				c = newCall(c.where, key, fn, args)
			}
			inCall[lit] = true
			calls = append(calls, c)
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING || inCall[lit] {
				return true
			}
			s, _ := strconv.Unquote(lit.Value)
			if keyLike.MatchString(s) && namespaces[s[:strings.IndexByte(s, '.')]] {
				calls = append(calls, msgCall{where: fset.Position(lit.Pos()).String(), key: s})
			}
			return true
		})
	}
	return calls
}

// msgArg is an argument after the key: its value if it is a constant string.
type msgArg struct {
	s  string
	ok bool // a constant string
}

// newCall is the use of key by method (T, Tf or Tn) with args after the
// key: Tn's count, then pairs of placeholder name and value.
func newCall(where, key, method string, args []msgArg) msgCall {
	c := msgCall{where: where, key: key, known: true}
	if method == "T" {
		return c
	}
	if method == "Tn" {
		c.names = append(c.names, "Count")
		if len(args) > 0 {
			args = args[1:]
		}
	}
	for i := 0; i < len(args); i += 2 {
		if !args[i].ok || i+1 >= len(args) {
			c.known = false
			return c
		}
		c.names = append(c.names, args[i].s)
	}
	return c
}

func TestMessageKeysUsedExist(t *testing.T) {
	cats := readCatalogs(t)
	en := cats["en.json"]
	namespaces := map[string]bool{}
	for key := range en {
		namespaces[key[:strings.IndexByte(key, '.')]] = true
	}
	tmpl, code := templateCalls(t), goCalls(t, namespaces)
	// orders.go builds "order."+status: every status needs its message.
	var statuses []msgCall
	for _, s := range []models.Status{models.StatusPending, models.StatusPaid, models.StatusClosed, models.StatusRefunded} {
		statuses = append(statuses, msgCall{where: "order status " + string(s), key: "order." + string(s)})
	}
	tests := []struct {
		name  string
		calls []msgCall
		must  []string // keys the scan has to find, so that it cannot pass by finding nothing
	}{
		{"templates", tmpl, []string{"shop.name", "product.instock", "cart.short", "order.payby", "error.back"}},
		{"go", code, []string{"shop.name", "error.internal", "err.name", "cart.added", "order.number", "checkout.title"}},
		{"order statuses", statuses, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var found []string
			for _, c := range tt.calls {
				found = append(found, c.key)
				for name, cat := range cats {
					_, ok := cat[c.key]
					assert.True(t, ok, "%s: no %q in %s", c.where, c.key, name)
				}
				if m, ok := en[c.key]; ok && c.known {
					assert.ElementsMatch(t, placeholders(t, m), c.names,
						"%s: the placeholders given must be those of %q", c.where, c.key)
				}
			}
			for _, k := range tt.must {
				assert.Contains(t, found, k)
			}
		})
	}
}
