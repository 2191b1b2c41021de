package handlers

import (
	"bytes"
	"encoding/csv"
	"html"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
)

var wantCatalogHeader = []string{"slug", "name", "name_zh", "description", "description_zh", "price", "currency",
	"stock", "category", "sort_order", "hidden"}

// importFile posts a catalog file as the import form does; csrf false
// leaves the token out.
func (a *adminBrowser) importFile(t *testing.T, content []byte, csrf bool) *response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if csrf {
		require.NoError(t, w.WriteField("csrf_token", a.csrf))
	}
	if content != nil {
		fw, err := w.CreateFormFile("file", "catalog.csv")
		require.NoError(t, err)
		_, err = fw.Write(content)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	req, err := http.NewRequest(http.MethodPost, a.h.ts.URL+"/admin/products.csv", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("User-Agent", a.ua)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return do(t, a.c, req)
}

// exportCatalog downloads the catalog and returns the file and its rows.
func exportCatalog(t *testing.T, a *adminBrowser) ([]byte, [][]string) {
	t.Helper()
	res := a.get("/admin/products.csv")
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
	assert.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Regexp(t, `^attachment; filename="catalog-\d{4}-\d{2}-\d{2}\.csv"$`, res.Header.Get("Content-Disposition"))
	return []byte(res.Body), readCSV(t, res.Body)
}

// catalogOf is the catalog as an import may change it.
func catalogOf(t *testing.T, h *harness) []models.StockedProduct {
	t.Helper()
	ps, err := h.db.CatalogProducts(t.Context())
	require.NoError(t, err)
	for i := range ps {
		ps[i].UpdatedAt, ps[i].CreatedAt = ps[i].UpdatedAt.UTC(), ps[i].CreatedAt.UTC()
		if c := ps[i].Category; c != nil {
			c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		}
	}
	return ps
}

func TestCatalogCSVRoundTrip(t *testing.T) {
	h := newHarness(t, options{})
	staff := h.staff("ann")
	ctx := t.Context()
	cat, err := h.db.SaveCategory(ctx, 0, models.CategoryInput{Slug: "tea", Name: "Tea", NameZH: "茶"}, models.AuditEntry{Staff: "ann"})
	require.NoError(t, err)
	tea := h.product("tea-set")
	h.createOrder(models.Item{ProductID: tea.ID, Quantity: 2})
	in := models.ProductInput{Slug: tea.Slug, Name: tea.Name, NameZH: tea.NameZH, Currency: "USD", PriceMinor: tea.PriceMinor,
		Description: "=HYPERLINK(\"http://evil.example\")", DescriptionZH: "'-already quoted", CategoryID: &cat.ID, SortOrder: -3}
	_, err = h.db.UpdateProduct(ctx, tea.ID, in, models.AuditEntry{Staff: "ann"})
	require.NoError(t, err)

	file, rows := exportCatalog(t, staff)
	require.Len(t, rows, 13)
	assert.Equal(t, wantCatalogHeader, rows[0])
	assert.Equal(t, []string{"tea-set", "Celadon tea set", "青瓷茶具", `'=HYPERLINK("http://evil.example")`, "''-already quoted",
		"56.00", "USD", "6", "tea", "'-3", "false"}, rows[1], "formulas neutralised; the stock is the units on hand")
	assert.Equal(t, []string{"silk-scarf", "Silk scarf", "真丝围巾", "A light mulberry silk scarf with a hand-rolled hem.",
		"轻盈的桑蚕丝围巾，手工卷边。", "39.00", "USD", "12", "", "0", "false"}, rows[2])

	before, audits := catalogOf(t, h), len(h.audits(t))
	res := staff.importFile(t, file, true)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	assert.Equal(t, "/admin/products", res.location())
	assert.Contains(t, staff.get("/admin/products").Body, "The catalog was imported.")
	assert.Equal(t, before, catalogOf(t, h), "export then import: the same catalog")
	assert.Equal(t, []string{"ann catalog_import: 12 rows: 0 new, 0 changed, 0 with only their stock changed, 12 unchanged"},
		h.auditsOf(t, "catalog"))
	assert.Len(t, h.audits(t), audits+1, "the import alone: nothing changed")

	t.Run("edited and imported again", func(t *testing.T) {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		rows[2][5] = "42.5" // the scarf's price, typed as people do
		rows[1][7] = "10"   // the tea set: 6 on hand → 10
		rows = append(rows, []string{"ink-stone", "Ink stone", "砚台", "", "", "20", "USD", "5", "tea", "", "FALSE"})
		require.NoError(t, w.WriteAll(rows)) // no BOM: both are read
		res := staff.importFile(t, buf.Bytes(), true)
		require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
		assert.Equal(t, int64(4250), h.product("silk-scarf").PriceMinor)
		assert.Equal(t, 8, h.stock(tea.ID), "10 on hand, 2 of them held")
		assert.Equal(t, `=HYPERLINK("http://evil.example")`, h.product("tea-set").Description, "the apostrophe is taken off")
		assert.Equal(t, "'-already quoted", h.product("tea-set").DescriptionZH)
		ink := h.product("ink-stone")
		assert.Equal(t, 5, ink.Stock)
		assert.Equal(t, "tea", ink.Category.Slug)
		assert.Equal(t, []string{"ann stock_adjust: stock +4 (CSV import): available 4 → 8, on hand 6 → 10, held by pending orders 2"},
			h.auditsOf(t, "product tea-set")[1:])
	})
}

func TestCatalogCSVImportRefused(t *testing.T) {
	h := newHarness(t, options{})
	staff := h.staff("ann")
	file, rows := exportCatalog(t, staff)
	before := catalogOf(t, h)
	audits := len(h.audits(t))

	write := func(rows [][]string) []byte {
		var buf bytes.Buffer
		buf.WriteString(bom)
		w := csv.NewWriter(&buf)
		require.NoError(t, w.WriteAll(rows))
		return buf.Bytes()
	}
	edited := func(edit func([][]string) [][]string) []byte {
		c := make([][]string, len(rows))
		for i := range rows {
			c[i] = append([]string(nil), rows[i]...)
		}
		return write(edit(c))
	}
	tests := []struct {
		name    string
		file    []byte
		status  int
		line    string // the reported line, "0" for none
		column  string
		message string
	}{
		{"one bad price among good rows", edited(func(r [][]string) [][]string { r[5][5] = "12,50"; r[2][5] = "41.00"; return r }),
			422, "6", "price", "Type the price as a number above zero"},
		{"unknown category", edited(func(r [][]string) [][]string { r[3][8] = "nowhere"; return r }),
			422, "4", "category", "There is no such category"},
		{"another currency", edited(func(r [][]string) [][]string { r[4][6] = "EUR"; return r }),
			422, "5", "currency", "Prices must be in the shop's currency."},
		{"negative stock", edited(func(r [][]string) [][]string { r[7][7] = "-4"; return r }),
			422, "8", "stock", "Type the units as a whole number from 0 to 1,000,000."},
		{"duplicate slug", edited(func(r [][]string) [][]string { r[9][0] = "silk-scarf"; return r }),
			422, "10", "slug", "This slug is on an earlier line of the file too."},
		{"name Alipay refuses", edited(func(r [][]string) [][]string { r[2][1] = "Silk & wool"; return r }),
			422, "3", "name", "Alipay refuses these characters in names"},
		{"a line short of cells", edited(func(r [][]string) [][]string { r[3] = r[3][:5]; return r }),
			422, "4", "", "This line does not have the 11 cells of the header line."},
		{"not the export's columns", edited(func(r [][]string) [][]string { r[0][5] = "cost"; return r }),
			422, "1", "", "The first line must name the columns of the export"},
		{"a broken quote", append(append([]byte(nil), file...), []byte("\"unclosed,x\n")...),
			422, "14", "", "This line is not valid CSV"},
		{"not UTF-8", []byte("slug,name\n\xff\xfe,x\n"), 422, "0", "", "The file is not UTF-8 text"},
		{"empty", []byte(bom), 422, "0", "", "The file has no products"},
		{"only the header", write(rows[:1]), 422, "0", "", "The file has no products"},
		{"no file", nil, 422, "0", "", "Choose a CSV file to import."},
		{"too large", bytes.Repeat([]byte("x"), catalogFileLimit+1), 413, "", "", "That request is too large."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := staff.within(t).importFile(t, tt.file, true)
			require.Equal(t, tt.status, res.StatusCode, res.Body)
			body := html.UnescapeString(res.Body)
			assert.Contains(t, body, tt.message)
			if tt.status == 422 {
				assert.Contains(t, body, "Nothing was imported. Correct these lines and import the file again.")
				assert.Contains(t, body, `<tr data-line="`+tt.line+`" data-column="`+tt.column+`">`)
			}
			assert.Equal(t, before, catalogOf(t, h), "nothing imported")
			assert.Len(t, h.audits(t), audits, "nothing audited")
		})
	}

	t.Run("every problem listed", func(t *testing.T) {
		res := staff.importFile(t, edited(func(r [][]string) [][]string {
			r[2][5], r[3][0], r[3][7] = "", "Bad Slug", "x"
			return r
		}), true)
		require.Equal(t, 422, res.StatusCode)
		for _, cell := range []string{`data-line="3" data-column="price"`, `data-line="4" data-column="slug"`, `data-line="4" data-column="stock"`} {
			assert.Contains(t, res.Body, cell)
		}
	})
	t.Run("without the CSRF token", func(t *testing.T) {
		res := staff.importFile(t, file, false)
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
	})
	t.Run("without a session", func(t *testing.T) {
		stranger := &adminBrowser{browser: h.browser(desktopUA).in(t), csrf: staff.csrf}
		res := stranger.importFile(t, file, true)
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
	})
	t.Run("not a multipart form", func(t *testing.T) {
		res := staff.postForm("/admin/products.csv", nil)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	})
	assert.Equal(t, before, catalogOf(t, h))
}

func TestCatalogCells(t *testing.T) {
	for _, s := range []string{"", "plain", "=1+1", "+86 138", "-3", "@sum", "\tx", "'quoted", "'=x", "''=x", "'", "''"} {
		out := catalogCellOut(s)
		assert.Equal(t, s, catalogCellIn(out), "%q → %q", s, out)
		assert.False(t, isFormulaStart(out), "%q → %q starts a formula", s, out)
	}
}
