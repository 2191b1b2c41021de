package handlers

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

// FuzzCatalogCSV feeds files to the catalog import's reader: nothing
// panics; a file is either rows, problems or both, each with a line; every
// row read is whole, and written back as the export writes it, it reads
// back as the same rows (apostrophes against formulas included).
func FuzzCatalogCSV(f *testing.F) {
	header := strings.Join(models.CatalogColumns, ",") + "\n"
	for _, s := range []string{
		header + "silk-scarf,Silk scarf,丝巾,Soft,柔软,39.00,USD,10,accessories,1,false\n",
		"\ufeff" + header + "a,'=1+1,,,,1.00,USD,1,,,\n",
		header + `b,"two` + "\r\n" + `lines",,,,1.00,USD,1,,,` + "\n",
		header + "c,short\n",
		header + `d,"broken,,,,1.00,USD,1,,,` + "\n",
		header, "", "\xff\xfe", "slug,name\n",
		strings.ToUpper(header) + "e,''-x,,,,0.50,USD,0,,2,yes\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, problems := parseCatalogCSV(data)
		require.True(t, len(rows) > 0 || len(problems) > 0, "a file gives rows or problems")
		for _, p := range problems {
			require.GreaterOrEqual(t, p.Line, 0)
			require.NotEmpty(t, p.Reason)
		}
		if len(rows) == 0 {
			return
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		require.NoError(t, w.Write(models.CatalogColumns))
		for _, r := range rows {
			require.GreaterOrEqual(t, r.Line, 2, "the header is line 1")
			cells := r.Cells()
			for i, c := range cells {
				require.True(t, utf8.ValidString(c))
				require.Equal(t, c, catalogCellIn(catalogCellOut(c)), "cell %q survives export and import", c)
				cells[i] = catalogCellOut(c)
				require.False(t, isFormulaStart(cells[i]), "exported cell %q would run as a formula", cells[i])
			}
			require.NoError(t, w.Write(cells))
		}
		w.Flush()
		again, problems := parseCatalogCSV(buf.Bytes())
		require.Empty(t, problems, "the export of what was read:\n%s", buf.String())
		require.Len(t, again, len(rows))
		for i := range rows {
			// csv reads \r\n inside a quoted cell as \n.
			want := rows[i].Cells()
			for j := range want {
				want[j] = strings.ReplaceAll(want[j], "\r\n", "\n")
			}
			require.Equal(t, want, again[i].Cells())
		}
	})
}

// FuzzParseMoney checks the admin's price parser: nothing panics; what it
// accepts is a positive amount in range that the export writes back as a
// string it accepts as the same amount.
func FuzzParseMoney(f *testing.F) {
	curs := []payment.Currency{"USD", "JPY", "EUR", "KRW"}
	for i, s := range []string{"39", "39.5", "39.50", " 39.50 ", "0.01", "0", "-1", "1e2", "39.505", "1,000", ".5", "5.", "１", "1500"} {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, s string, ci uint8) {
		cur := curs[int(ci)%len(curs)]
		minor, ok := parseMoney(s, cur)
		if !ok {
			return
		}
		require.True(t, minor >= cur.MinAmount() && minor <= cur.MaxAmount(), "%q %s: %d out of range", s, cur, minor)
		back, ok := parseMoney(csvAmount(minor, cur), cur)
		require.True(t, ok)
		require.Equal(t, minor, back)
	})
}

// FuzzContact checks the checkout's contact and address validation:
// nothing panics; what it accepts has no control character but the
// street's line breaks, a postcode of at most 12 characters, a written
// address; and validating what it accepted again changes nothing.
func FuzzContact(f *testing.F) {
	f.Add("Mei Chen", "+86 138 0013 8000", "", "", "CN", "上海市", "上海市", "浦东新区世纪大道 100 号", "200120")
	f.Add("Taro", "", "taro@example.jp", "", "JP", "東京都", "渋谷区", "道玄坂 1-2-3", "１５００００１")
	f.Add("Ann", "", "ann@example.co.uk", "", "GB", "", "London", "10 Downing Street", "sw1a2aa")
	f.Add("Bob", "555-0100-00", "", "1 Main Street, Springfield", "", "", "", "", "")
	f.Add("", "", "x", "", "ZZ", "\x00", "", "a\r\nb", "123456789012345")
	f.Fuzz(func(t *testing.T, name, phone, email, address, country, province, city, street, postcode string) {
		c := contact{Name: name, Phone: phone, Email: email, Address: address, Country: country,
			Province: province, City: city, Street: street, Postcode: postcode}
		if len(c.validate()) > 0 {
			return
		}
		require.False(t, hasControl(c.Name))
		require.False(t, hasControl(strings.ReplaceAll(c.Address, "\n", " ")), "address %q", c.Address)
		require.NotEmpty(t, c.Address)
		require.LessOrEqual(t, len(c.Postcode), postcodeMax)
		again := c
		require.Empty(t, again.validate(), "accepted %+v, then refused", c)
		require.Equal(t, c, again, "validating twice changes nothing")
	})
}
