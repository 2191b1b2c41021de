package models

// Categories: created, renamed, ordered and deleted by the merchant.

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// MaxCategoryNameLen bounds a category's names, in characters.
const MaxCategoryNameLen = 64

// CategoryInput is what the merchant sets on a category.
type CategoryInput struct {
	Slug, Name, NameZH string
	SortOrder          int
}

// Check normalizes in and returns an *InputError for what can be
// checked without the database, or nil.
func (in *CategoryInput) Check() error {
	in.Slug, in.Name, in.NameZH = strings.TrimSpace(in.Slug), strings.TrimSpace(in.Name), strings.TrimSpace(in.NameZH)
	f := fieldErrors{}
	checkSlug(f, in.Slug)
	checkName(f, "name", in.Name, true, MaxCategoryNameLen, false)
	checkName(f, "name_zh", in.NameZH, false, MaxCategoryNameLen, false)
	checkSortOrder(f, in.SortOrder)
	return f.err()
}

// CategoryCount is a category with how many products it has.
type CategoryCount struct {
	Category
	Products int
}

// CategoriesWithCounts returns the categories in the merchant's order,
// each with its number of products (hidden ones included).
func (db *DB) CategoriesWithCounts(ctx context.Context) ([]CategoryCount, error) {
	cs, err := db.Categories(ctx)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		CategoryID uint
		N          int
	}
	err = db.gorm.WithContext(ctx).Model(&Product{}).Select("category_id, COUNT(*) AS n").
		Where("category_id IS NOT NULL").Group("category_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	n := map[uint]int{}
	for _, r := range rows {
		n[r.CategoryID] = r.N
	}
	out := make([]CategoryCount, len(cs))
	for i, c := range cs {
		out[i] = CategoryCount{Category: c, Products: n[c.ID]}
	}
	return out, nil
}

// CategoryByID returns a category or ErrNotFound.
func (db *DB) CategoryByID(ctx context.Context, id uint) (*Category, error) {
	var c Category
	if err := db.gorm.WithContext(ctx).Take(&c, id).Error; err != nil {
		return nil, fmt.Errorf("category %d: %w", id, notFound(err))
	}
	return &c, nil
}

// SaveCategory creates a category (id 0) or changes category id, and
// audits it.
func (db *DB) SaveCategory(ctx context.Context, id uint, in CategoryInput, a AuditEntry) (*Category, error) {
	if err := in.Check(); err != nil {
		return nil, fmt.Errorf("save category: %w", err)
	}
	var c Category
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Category{}).Where("slug = ? AND id <> ?", in.Slug, id).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return &InputError{Fields: map[string]string{"slug": ReasonTaken}}
		}
		now := tx.NowFunc()
		if id == 0 {
			c = Category{Slug: in.Slug, Name: in.Name, NameZH: in.NameZH, SortOrder: in.SortOrder, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&c).Error; err != nil {
				return slugTaken(err)
			}
			a.Action, a.Target, a.Detail = "category_create", "category "+c.Slug, fmt.Sprintf("%q / %q, sort order %d", c.Name, c.NameZH, c.SortOrder)
			return audit(tx, a)
		}
		if err := forUpdate(tx).Take(&c, id).Error; err != nil {
			return fmt.Errorf("category %d: %w", id, notFound(err))
		}
		var changes []string
		for _, ch := range [][3]string{{"slug", c.Slug, in.Slug}, {"name", c.Name, in.Name}, {"name_zh", c.NameZH, in.NameZH}} {
			if ch[1] != ch[2] {
				changes = append(changes, fmt.Sprintf("%s %q → %q", ch[0], ch[1], ch[2]))
			}
		}
		if c.SortOrder != in.SortOrder {
			changes = append(changes, fmt.Sprintf("sort order %d → %d", c.SortOrder, in.SortOrder))
		}
		if len(changes) == 0 {
			return nil
		}
		c.Slug, c.Name, c.NameZH, c.SortOrder, c.UpdatedAt = in.Slug, in.Name, in.NameZH, in.SortOrder, now
		err := tx.Model(&Category{}).Where("id = ?", id).Updates(map[string]any{
			"slug": c.Slug, "name": c.Name, "name_zh": c.NameZH, "sort_order": c.SortOrder, "updated_at": now}).Error
		if err != nil {
			return slugTaken(err)
		}
		a.Action, a.Target, a.Detail = "category_update", "category "+c.Slug, strings.Join(changes, "; ")
		return audit(tx, a)
	})
	if err != nil {
		return nil, fmt.Errorf("save category: %w", err)
	}
	return &c, nil
}

// DeleteCategory deletes a category and audits it; its products stay,
// without a category.
func (db *DB) DeleteCategory(ctx context.Context, id uint, a AuditEntry) error {
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		var c Category
		if err := forUpdate(tx).Take(&c, id).Error; err != nil {
			return fmt.Errorf("category %d: %w", id, notFound(err))
		}
		// The foreign key sets them to NULL too; saying it here counts
		// them for the log and does not depend on SQLite's foreign_keys.
		res := tx.Model(&Product{}).Where("category_id = ?", id).
			Updates(map[string]any{"category_id": nil, "updated_at": tx.NowFunc()})
		if res.Error != nil {
			return res.Error
		}
		if err := tx.Delete(&Category{}, id).Error; err != nil {
			return err
		}
		a.Action, a.Target, a.Detail = "category_delete", "category "+c.Slug, fmt.Sprintf("%q; %d products left without a category", c.Name, res.RowsAffected)
		return audit(tx, a)
	})
	if err != nil {
		return fmt.Errorf("delete category %d: %w", id, err)
	}
	return nil
}
