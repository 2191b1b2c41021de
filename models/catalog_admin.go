package models

// The merchant edits the catalog: products and categories created,
// changed, hidden and deleted, stock adjusted. Each change is one
// transaction with its audit entry.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// StockedProduct is a product with the units its pending orders hold:
// taken from Stock at checkout, given back if the order closes unpaid.
type StockedProduct struct {
	Product
	Held int
}

// OnHand is the units the merchant has: available plus held.
func (p StockedProduct) OnHand() int { return p.Stock + p.Held }

// heldUnits returns the units pending orders hold, by product; ids limits
// it to those products when not nil.
func heldUnits(tx *gorm.DB, ids []uint) (map[uint]int, error) {
	q := tx.Table("order_lines l").Select("l.product_id AS product_id, SUM(l.quantity) AS held").
		Joins("JOIN orders o ON o.id = l.order_id").Where("o.status = ?", StatusPending).Group("l.product_id")
	if ids != nil {
		q = q.Where("l.product_id IN ?", ids)
	}
	var rows []struct {
		ProductID uint
		Held      int
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("units held: %w", err)
	}
	m := make(map[uint]int, len(rows))
	for _, r := range rows {
		m[r.ProductID] = r.Held
	}
	return m, nil
}

// CatalogProducts returns every product, hidden ones included, with its
// category and the units pending orders hold, in the merchant's order.
func (db *DB) CatalogProducts(ctx context.Context) ([]StockedProduct, error) {
	ps, err := db.AllProducts(ctx)
	if err != nil {
		return nil, err
	}
	held, err := heldUnits(db.gorm.WithContext(ctx), nil)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	out := make([]StockedProduct, len(ps))
	for i, p := range ps {
		out[i] = StockedProduct{Product: p, Held: held[p.ID]}
	}
	return out, nil
}

// CatalogProduct returns the product with its category and held units,
// or ErrNotFound.
func (db *DB) CatalogProduct(ctx context.Context, id uint) (*StockedProduct, error) {
	g := db.gorm.WithContext(ctx)
	var p Product
	if err := g.Preload("Category").Take(&p, id).Error; err != nil {
		return nil, fmt.Errorf("product %d: %w", id, notFound(err))
	}
	held, err := heldUnits(g, []uint{id})
	if err != nil {
		return nil, fmt.Errorf("product %d: %w", id, err)
	}
	return &StockedProduct{Product: p, Held: held[id]}, nil
}

// CreateProduct adds a product with stock units and audits it (a.Target
// and a.Detail are filled in).
func (db *DB) CreateProduct(ctx context.Context, in ProductInput, stock int, a AuditEntry) (*Product, error) {
	in.Normalize()
	var p *Product
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		var err error
		p, err = createProduct(tx, in, stock)
		if err != nil {
			return err
		}
		a.Action, a.Target, a.Detail = "product_create", "product "+p.Slug, productSummary(p)
		return audit(tx, a)
	})
	if err != nil {
		return nil, fmt.Errorf("create product: %w", err)
	}
	return p, nil
}

func createProduct(tx *gorm.DB, in ProductInput, stock int) (*Product, error) {
	f := fieldErrors{}
	in.check(f)
	if stock < 0 || stock > MaxStock {
		f.add("stock", ReasonRange)
	}
	if err := in.checkInDB(tx, f, 0); err != nil {
		return nil, err
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	p := &Product{Slug: in.Slug, Name: in.Name, NameZH: in.NameZH, Description: in.Description,
		DescriptionZH: in.DescriptionZH, PriceMinor: in.PriceMinor, Currency: in.Currency, Stock: stock,
		Image: placeholderImage, CategoryID: in.CategoryID, SortOrder: in.SortOrder, Hidden: in.Hidden}
	if err := tx.Create(p).Error; err != nil {
		return nil, slugTaken(err)
	}
	return p, nil
}

// slugTaken turns the unique index's refusal (another instance inserted
// the slug since it was checked) into the field's error.
func slugTaken(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return &InputError{Fields: map[string]string{"slug": ReasonTaken}}
	}
	return err
}

// productSummary describes a new product for the audit log.
func productSummary(p *Product) string {
	return fmt.Sprintf("%q, price %d %s (minor units), stock %d, hidden %t", p.Name, p.PriceMinor, p.Currency, p.Stock, p.Hidden)
}

// lockProduct reads the product and locks its row until the transaction
// ends (on PostgreSQL; SQLite's write lock covers it).
func lockProduct(tx *gorm.DB, id uint) (*Product, error) {
	var p Product
	if err := forUpdate(tx).Take(&p, id).Error; err != nil {
		return nil, fmt.Errorf("product %d: %w", id, notFound(err))
	}
	return &p, nil
}

// UpdateProduct sets what in says on product id and audits what changed.
// Orders keep the names and prices they were made with.
func (db *DB) UpdateProduct(ctx context.Context, id uint, in ProductInput, a AuditEntry) (*Product, error) {
	in.Normalize()
	var p *Product
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		old, err := lockProduct(tx, id)
		if err != nil {
			return err
		}
		p, err = updateProduct(tx, old, in, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update product %d: %w", id, err)
	}
	return p, nil
}

// updateProduct writes in over old (locked) and audits the difference;
// nothing is written when nothing changed.
func updateProduct(tx *gorm.DB, old *Product, in ProductInput, a AuditEntry) (*Product, error) {
	f := fieldErrors{}
	in.check(f)
	if err := in.checkInDB(tx, f, old.ID); err != nil {
		return nil, err
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	changes := productChanges(old, in)
	if len(changes) == 0 {
		return old, nil
	}
	cols := in.columns()
	cols["updated_at"] = tx.NowFunc()
	if err := tx.Model(&Product{}).Where("id = ?", old.ID).Updates(cols).Error; err != nil {
		return nil, slugTaken(err)
	}
	detail := strings.Join(changes, "; ")
	if a.Detail != "" { // what the change came from, as "CSV import"
		detail = a.Detail + ": " + detail
	}
	a.Action, a.Target, a.Detail = "product_update", "product "+in.Slug, detail
	if err := audit(tx, a); err != nil {
		return nil, err
	}
	var p Product
	if err := tx.Take(&p, old.ID).Error; err != nil {
		return nil, err
	}
	return &p, nil
}

// productChanges describes, for the audit log, what in changes on p.
func productChanges(p *Product, in ProductInput) []string {
	var out []string
	text := func(name, from, to string) {
		if from != to {
			out = append(out, fmt.Sprintf("%s %q → %q", name, from, to))
		}
	}
	text("slug", p.Slug, in.Slug)
	text("name", p.Name, in.Name)
	text("name_zh", p.NameZH, in.NameZH)
	if p.Description != in.Description {
		out = append(out, "description changed")
	}
	if p.DescriptionZH != in.DescriptionZH {
		out = append(out, "description_zh changed")
	}
	if p.PriceMinor != in.PriceMinor || p.Currency != in.Currency {
		out = append(out, fmt.Sprintf("price %d %s → %d %s (minor units)", p.PriceMinor, p.Currency, in.PriceMinor, in.Currency))
	}
	if !equalID(p.CategoryID, in.CategoryID) {
		out = append(out, fmt.Sprintf("category %s → %s", idText(p.CategoryID), idText(in.CategoryID)))
	}
	if p.SortOrder != in.SortOrder {
		out = append(out, fmt.Sprintf("sort order %d → %d", p.SortOrder, in.SortOrder))
	}
	if p.Hidden != in.Hidden {
		out = append(out, fmt.Sprintf("hidden %t → %t", p.Hidden, in.Hidden))
	}
	return out
}

func equalID(a, b *uint) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func idText(id *uint) string {
	if id == nil {
		return "none"
	}
	return fmt.Sprint(*id)
}

// SetHidden hides a product (the shop stops showing and selling it;
// pending orders keep it) or shows it again, and audits it. Doing what
// is already done changes nothing.
func (db *DB) SetHidden(ctx context.Context, id uint, hidden bool, a AuditEntry) (*Product, error) {
	var p *Product
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		var err error
		if p, err = lockProduct(tx, id); err != nil || p.Hidden == hidden {
			return err
		}
		if err := tx.Model(&Product{}).Where("id = ?", id).
			Updates(map[string]any{"hidden": hidden, "updated_at": tx.NowFunc()}).Error; err != nil {
			return err
		}
		p.Hidden = hidden
		a.Action, a.Target = "product_show", "product "+p.Slug
		if hidden {
			a.Action = "product_hide"
		}
		return audit(tx, a)
	})
	if err != nil {
		return nil, fmt.Errorf("hide product %d: %w", id, err)
	}
	return p, nil
}

// DeleteProduct deletes a product no order refers to, with its
// pictures, and audits it; a product in orders gives ErrOrdered.
func (db *DB) DeleteProduct(ctx context.Context, id uint, a AuditEntry) error {
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		p, err := lockProduct(tx, id)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&OrderLine{}).Where("product_id = ?", id).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%d order lines: %w", n, ErrOrdered)
		}
		if err := tx.Delete(&Product{}, id).Error; err != nil {
			if errors.Is(err, gorm.ErrForeignKeyViolated) {
				return fmt.Errorf("%w: %w", ErrOrdered, err)
			}
			return err
		}
		a.Action, a.Target, a.Detail = "product_delete", "product "+p.Slug, productSummary(p)
		return audit(tx, a)
	})
	if err != nil {
		return fmt.Errorf("delete product %d: %w", id, err)
	}
	return nil
}
