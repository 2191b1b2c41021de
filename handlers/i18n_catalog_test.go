package handlers

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"maps"
	"slices"
	"testing"
	"text/template"
	"text/template/parse"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/views"
)

// msgCatalog is one language's messages by key.
type msgCatalog map[string]*i18n.Message

// readCatalogs parses every message catalog the binary embeds, one per
// language, keyed "en.json", "zh.json": a language's messages may be
// spread over several files (en.json, admin.en.json…), but no key may be
// in two of them.
func readCatalogs(t *testing.T) map[string]msgCatalog {
	t.Helper()
	names, err := fs.Glob(views.Locales(), "*.json")
	require.NoError(t, err)
	cats := map[string]msgCatalog{}
	for _, name := range names {
		buf, err := fs.ReadFile(views.Locales(), name)
		require.NoError(t, err)
		requireNoDuplicateKeys(t, name, buf)
		f, err := i18n.ParseMessageFileBytes(buf, name, nil)
		require.NoError(t, err, name)
		lang := catalogLanguage(name) + ".json"
		if cats[lang] == nil {
			cats[lang] = msgCatalog{}
		}
		for _, m := range f.Messages {
			require.NotContains(t, cats[lang], m.ID, "%s: key %q is in another %s file too", name, m.ID, lang)
			cats[lang][m.ID] = m
		}
	}
	require.ElementsMatch(t, []string{"en.json", "zh.json"}, slices.Collect(maps.Keys(cats)), "English and Chinese, nothing else")
	return cats
}

// requireNoDuplicateKeys fails on a key written twice: encoding/json would
// silently keep the last one.
func requireNoDuplicateKeys(t *testing.T, name string, buf []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(buf))
	_, err := dec.Token() // {
	require.NoError(t, err, name)
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err, name)
		key := tok.(string)
		require.False(t, seen[key], "%s: key %q twice", name, key)
		seen[key] = true
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip), name)
	}
}

// msgForms returns the non-empty plural forms of m.
func msgForms(m *i18n.Message) []string {
	var out []string
	for _, f := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// placeholders returns the names of the {{.Name}} fields in all forms of m.
func placeholders(t *testing.T, m *i18n.Message) []string {
	t.Helper()
	set := map[string]bool{}
	for _, src := range msgForms(m) {
		tmpl, err := template.New(m.ID).Parse(src)
		require.NoError(t, err, m.ID)
		walkNodes(tmpl.Tree.Root, func(n parse.Node) {
			if f, ok := n.(*parse.FieldNode); ok {
				set[f.Ident[0]] = true
			}
		})
	}
	return slices.Sorted(maps.Keys(set))
}

// walkNodes calls fn on n and every node below it.
func walkNodes(n parse.Node, fn func(parse.Node)) {
	if n == nil {
		return
	}
	fn(n)
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				walkNodes(c, fn)
			}
		}
	case *parse.ActionNode:
		walkNodes(n.Pipe, fn)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				walkNodes(c, fn)
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkNodes(a, fn)
		}
	case *parse.ChainNode:
		walkNodes(n.Node, fn)
	case *parse.IfNode:
		walkBranchNodes(&n.BranchNode, fn)
	case *parse.RangeNode:
		walkBranchNodes(&n.BranchNode, fn)
	case *parse.WithNode:
		walkBranchNodes(&n.BranchNode, fn)
	case *parse.TemplateNode:
		walkNodes(n.Pipe, fn)
	}
}

func walkBranchNodes(b *parse.BranchNode, fn func(parse.Node)) {
	walkNodes(b.Pipe, fn)
	walkNodes(b.List, fn)
	if b.ElseList != nil {
		walkNodes(b.ElseList, fn)
	}
}

func TestMessageCatalogsMatch(t *testing.T) {
	cats := readCatalogs(t)
	en := cats["en.json"]
	require.NotEmpty(t, en)
	for name, cat := range cats {
		t.Run(name, func(t *testing.T) {
			assert.ElementsMatch(t, slices.Collect(maps.Keys(en)), slices.Collect(maps.Keys(cat)),
				"the same keys as en.json")
			for key, m := range cat {
				assert.NotEmpty(t, m.Other, "%s: every message has the form other", key)
				ref, ok := en[key]
				if !ok {
					continue // reported above
				}
				assert.Equal(t, placeholders(t, ref), placeholders(t, m), "%s: the same placeholders as en.json", key)
			}
		})
	}
	for key, m := range en {
		if slices.Contains(placeholders(t, m), "Count") {
			assert.True(t, m.One != "" && m.Other != "", "%s counts things: English needs one and other", key)
		}
	}
}
