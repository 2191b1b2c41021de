package models

// The catalog as rows of a CSV file, exported and imported with the same
// columns, so that a file exported, edited in a spreadsheet and imported
// again changes only what was edited.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// CatalogColumns are the CSV's columns, in order.
var CatalogColumns = []string{"slug", "name", "name_zh", "description", "description_zh", "price", "currency",
	"stock", "category", "sort_order", "hidden"}

// MaxImportRows bounds the products of one import, which runs as one
// transaction.
const MaxImportRows = 5000

// Prices reads and writes the price column: a decimal in the shop's
// currency. Money formats are package payment's, which models does not
// import; the caller provides them.
type Prices interface {
	Currency() string
	Parse(s string) (minor int64, ok bool)
	Format(minor int64) string
}

// CatalogRow is a product as a line of the CSV, every cell as text.
// Stock is the units on hand: available plus held by pending orders.
// Category is the category's slug, "" for none.
type CatalogRow struct {
	Line int // in the file, for reports; 0 in an export
	Slug, Name, NameZH, Description, DescriptionZH, Price, Currency,
	Stock, Category, SortOrder, Hidden string
}

// NewCatalogRow is the row of the cells of a line, in CatalogColumns'
// order; missing cells are empty.
func NewCatalogRow(line int, cells []string) CatalogRow {
	c := make([]string, len(CatalogColumns))
	copy(c, cells)
	return CatalogRow{Line: line, Slug: c[0], Name: c[1], NameZH: c[2], Description: c[3], DescriptionZH: c[4],
		Price: c[5], Currency: c[6], Stock: c[7], Category: c[8], SortOrder: c[9], Hidden: c[10]}
}

// Cells returns the row's cells in CatalogColumns' order.
func (r CatalogRow) Cells() []string {
	return []string{r.Slug, r.Name, r.NameZH, r.Description, r.DescriptionZH, r.Price, r.Currency,
		r.Stock, r.Category, r.SortOrder, r.Hidden}
}

// Problem is what is wrong with a cell of an import: its line, its
// column ("" for the whole line or file) and one of the Reason constants
// (or a reason of the file's own, as the caller reading it decides).
type Problem struct {
	Line   int
	Column string
	Reason string
}

// ImportError lists the problems of an import, by line: nothing was
// imported. errors.Is(err, ErrInvalid) is true for it.
type ImportError struct {
	Problems []Problem
}

// Error counts the problems and names the first.
func (e *ImportError) Error() string {
	if len(e.Problems) == 0 {
		return "import refused"
	}
	p := e.Problems[0]
	return fmt.Sprintf("import refused: %d problems, the first on line %d, %s: %s", len(e.Problems), p.Line, p.Column, p.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ImportError) Is(target error) bool { return target == ErrInvalid }

// ImportResult counts what an import did.
type ImportResult struct {
	Created, Updated, Restocked, Unchanged int
}

// CatalogRows returns every product, hidden ones included, as rows of
// the CSV, in the merchant's order.
func (db *DB) CatalogRows(ctx context.Context, prices Prices) ([]CatalogRow, error) {
	ps, err := db.CatalogProducts(ctx)
	if err != nil {
		return nil, fmt.Errorf("export catalog: %w", err)
	}
	rows := make([]CatalogRow, len(ps))
	for i, p := range ps {
		var category string
		if p.Category != nil {
			category = p.Category.Slug
		}
		rows[i] = CatalogRow{Slug: p.Slug, Name: p.Name, NameZH: p.NameZH, Description: p.Description,
			DescriptionZH: p.DescriptionZH, Price: prices.Format(p.PriceMinor), Currency: p.Currency,
			Stock: strconv.Itoa(p.OnHand()), Category: category, SortOrder: strconv.Itoa(p.SortOrder),
			Hidden: strconv.FormatBool(p.Hidden)}
	}
	return rows, nil
}

// importRow is a row read and checked as far as it can be alone.
type importRow struct {
	line     int
	in       ProductInput
	onHand   int
	category string
}

// ImportCatalog creates or changes the products of rows, by slug, in one
// transaction: every row is checked first, and a single problem imports
// nothing (an *ImportError lists them all). A new product gets the stock
// of its row; an existing one's stock changes by the difference between
// the row's units on hand and its own, through the same bounded update as
// AdjustStock, audited with the reason "CSV import": it cannot go below
// what pending orders hold. Each change is audited, and the import as a
// whole.
func (db *DB) ImportCatalog(ctx context.Context, rows []CatalogRow, prices Prices, a AuditEntry) (*ImportResult, error) {
	if len(rows) > MaxImportRows {
		return nil, &ImportError{Problems: []Problem{{Line: rows[MaxImportRows].Line, Reason: ReasonRange}}}
	}
	parsed, problems := parseRows(rows, prices)
	var res *ImportResult
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		existing, held, more, err := checkRowsInDB(tx, parsed)
		if err != nil {
			return err
		}
		if all := append(slices.Clone(problems), more...); len(all) > 0 {
			sortProblems(all)
			return &ImportError{Problems: all}
		}
		res, err = applyRows(tx, parsed, existing, held, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("import catalog: %w", err)
	}
	return res, nil
}

// parseRows reads every row's cells, and returns the rows that could be
// read with the problems of all.
func parseRows(rows []CatalogRow, prices Prices) ([]importRow, []Problem) {
	var out []importRow
	var problems []Problem
	first := map[string]int{} // slug -> line
	for _, r := range rows {
		ir, f := parseRow(r, prices)
		if _, bad := f["slug"]; !bad {
			if _, seen := first[ir.in.Slug]; seen {
				f.add("slug", ReasonDuplicate)
			} else {
				first[ir.in.Slug] = r.Line
			}
		}
		for _, col := range CatalogColumns {
			if reason, ok := f[col]; ok {
				problems = append(problems, Problem{Line: r.Line, Column: col, Reason: reason})
			}
		}
		if len(f) == 0 {
			out = append(out, ir)
		}
	}
	return out, problems
}

// parseRow reads one row's cells.
func parseRow(r CatalogRow, prices Prices) (importRow, fieldErrors) {
	f := fieldErrors{}
	ir := importRow{line: r.Line, category: strings.TrimSpace(r.Category)}
	ir.in = ProductInput{Slug: r.Slug, Name: r.Name, NameZH: r.NameZH, Description: r.Description,
		DescriptionZH: r.DescriptionZH, Currency: prices.Currency()}
	ir.in.Normalize()
	var ok bool
	if ir.in.PriceMinor, ok = prices.Parse(strings.TrimSpace(r.Price)); !ok {
		f.add("price", ReasonFormat)
	}
	if strings.TrimSpace(r.Currency) != prices.Currency() {
		f.add("currency", ReasonCurrency)
	}
	var err error
	if ir.onHand, err = strconv.Atoi(strings.TrimSpace(r.Stock)); err != nil {
		f.add("stock", ReasonFormat)
	} else if ir.onHand < 0 || ir.onHand > MaxStock {
		f.add("stock", ReasonRange)
	}
	if s := strings.TrimSpace(r.SortOrder); s != "" {
		if ir.in.SortOrder, err = strconv.Atoi(s); err != nil {
			f.add("sort_order", ReasonFormat)
		}
	}
	switch strings.ToLower(strings.TrimSpace(r.Hidden)) {
	case "", "false", "0", "no":
	case "true", "1", "yes":
		ir.in.Hidden = true
	default:
		f.add("hidden", ReasonFormat)
	}
	ir.in.check(f)
	return ir, f
}

// checkRowsInDB resolves the rows' categories and finds the products they
// change, locking them in id order, with the units their pending orders
// hold; it returns the problems only the database shows: an unknown
// category, units on hand below what pending orders hold.
func checkRowsInDB(tx *gorm.DB, rows []importRow) (map[string]*Product, map[uint]int, []Problem, error) {
	var cats []Category
	if err := tx.Find(&cats).Error; err != nil {
		return nil, nil, nil, err
	}
	catID := make(map[string]uint, len(cats))
	for _, c := range cats {
		catID[c.Slug] = c.ID
	}
	slugs := make([]string, len(rows))
	for i, r := range rows {
		slugs[i] = r.in.Slug
	}
	existing := map[string]*Product{}
	var ids []uint
	if len(slugs) > 0 {
		var ps []Product
		if err := forUpdate(tx).Where("slug IN ?", slugs).Order("id").Find(&ps).Error; err != nil {
			return nil, nil, nil, err
		}
		for i := range ps {
			existing[ps[i].Slug] = &ps[i]
			ids = append(ids, ps[i].ID)
		}
	}
	held := map[uint]int{}
	if len(ids) > 0 {
		var err error
		if held, err = heldUnits(tx, ids); err != nil {
			return nil, nil, nil, err
		}
	}
	var problems []Problem
	for i := range rows {
		r := &rows[i]
		if r.category != "" {
			if id, ok := catID[r.category]; ok {
				r.in.CategoryID = &id
			} else {
				problems = append(problems, Problem{Line: r.line, Column: "category", Reason: ReasonUnknown})
			}
		}
		if p, ok := existing[r.in.Slug]; ok && r.onHand < held[p.ID] {
			problems = append(problems, Problem{Line: r.line, Column: "stock", Reason: ReasonBelowHeld})
		}
	}
	return existing, held, problems, nil
}

// applyRows writes the checked rows.
func applyRows(tx *gorm.DB, rows []importRow, existing map[string]*Product, held map[uint]int, a AuditEntry) (*ImportResult, error) {
	res := &ImportResult{}
	for _, r := range rows {
		a := a
		a.Detail = "CSV import"
		old, ok := existing[r.in.Slug]
		if !ok {
			p, err := createProduct(tx, r.in, r.onHand)
			if err != nil {
				return nil, rowError(r.line, err)
			}
			a.Action, a.Target, a.Detail = "product_create", "product "+p.Slug, "CSV import: "+productSummary(p)
			if err := audit(tx, a); err != nil {
				return nil, err
			}
			res.Created++
			continue
		}
		changed := len(productChanges(old, r.in)) > 0
		if _, err := updateProduct(tx, old, r.in, a); err != nil {
			return nil, rowError(r.line, err)
		}
		delta := r.onHand - old.Stock - held[old.ID]
		if delta != 0 {
			ch, _, err := adjustStock(tx, old.ID, delta)
			if err != nil {
				return nil, rowError(r.line, err)
			}
			a.Action, a.Target, a.Detail = "stock_adjust", "product "+r.in.Slug, stockDetail(ch, "CSV import")
			if err := audit(tx, a); err != nil {
				return nil, err
			}
		}
		switch {
		case changed:
			res.Updated++
		case delta != 0:
			res.Restocked++
		default:
			res.Unchanged++
		}
	}
	a.Action, a.Target = "catalog_import", "catalog"
	a.Detail = fmt.Sprintf("%d rows: %d new, %d changed, %d with only their stock changed, %d unchanged",
		len(rows), res.Created, res.Updated, res.Restocked, res.Unchanged)
	if err := audit(tx, a); err != nil {
		return nil, err
	}
	return res, nil
}

// rowError reports a row the database refused after the checks passed
// (another instance changed the catalog meanwhile) on its line.
func rowError(line int, err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		var ps []Problem
		for _, col := range CatalogColumns {
			if reason, ok := ie.Fields[col]; ok {
				ps = append(ps, Problem{Line: line, Column: col, Reason: reason})
			}
		}
		return &ImportError{Problems: ps}
	}
	if errors.Is(err, ErrStockShort) {
		return &ImportError{Problems: []Problem{{Line: line, Column: "stock", Reason: ReasonBelowHeld}}}
	}
	return fmt.Errorf("line %d: %w", line, err)
}

// sortProblems orders problems by line, then by column as in the file.
func sortProblems(ps []Problem) {
	col := func(c string) int { return slices.Index(CatalogColumns, c) }
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(col(a.Column), col(b.Column)))
	})
}
