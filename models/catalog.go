package models

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Product is an item in the catalog. PriceMinor is in minor units of
// Currency (cents for USD, whole yen for JPY).
type Product struct {
	ID            uint   `gorm:"primaryKey"`
	Slug          string `gorm:"not null;uniqueIndex"`
	Name          string `gorm:"not null"`
	NameZH        string `gorm:"not null"`
	Description   string `gorm:"not null"`
	DescriptionZH string `gorm:"not null"`
	PriceMinor    int64  `gorm:"not null;check:chk_products_price,price_minor > 0"`
	Currency      string `gorm:"not null;size:3"`
	Stock         int    `gorm:"not null;check:chk_products_stock,stock >= 0"`
	// Image is the seeded catalog's drawing; a product's pictures, when
	// it has some, are shown instead.
	Image      string `gorm:"not null"`
	CategoryID *uint
	Category   *Category `gorm:"foreignKey:CategoryID"`
	SortOrder  int       // lower first, then by id
	Hidden     bool      // not shown and not sold
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Category groups products, with a name in both languages.
type Category struct {
	ID        uint
	Slug      string
	Name      string
	NameZH    string
	SortOrder int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Picture is a picture of a product; Files are its sizes.
type Picture struct {
	ID        uint
	ProductID uint
	Position  int    // lower first
	Alt       string // what it shows, for people who cannot see it
	CreatedAt time.Time
	Files     []PictureFile
}

// PictureFile is one size of a picture, served at a URL made of Hash.
type PictureFile struct {
	ID          uint
	PictureID   uint
	Width       int
	Height      int
	ContentType string
	Hash        string // hex SHA-256 of Data
	Data        []byte
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// seedProduct is one catalog entry; cents is the price for a currency with
// two decimals.
type seedProduct struct {
	slug, name, nameZH, desc, descZH string
	cents                            int64
	stock                            int
}

// catalog avoids the characters Alipay rejects in subject and body
// (" ' & = ? % # ^ |), since names end up there.
var catalog = []seedProduct{
	{"silk-scarf", "Silk scarf", "真丝围巾", "A light mulberry silk scarf with a hand-rolled hem.", "轻盈的桑蚕丝围巾，手工卷边。", 3900, 12},
	{"tea-set", "Celadon tea set", "青瓷茶具", "A celadon teapot with four cups, glazed in soft green.", "一把青瓷茶壶配四只茶杯，釉色淡雅青绿。", 5600, 6},
	{"ceramic-mug", "Speckled mug", "斑点陶瓷杯", "A stoneware mug with a speckled glaze. Holds 350 ml.", "斑点釉面的粗陶马克杯，容量350毫升。", 1800, 20},
	{"bamboo-notebook", "Bamboo notebook", "竹制笔记本", "A notebook with bamboo covers and 120 pages of recycled paper.", "竹制封面笔记本，内含120页再生纸。", 1250, 25},
	{"wool-beanie", "Merino beanie", "美利奴毛线帽", "A soft rib-knit beanie in merino wool.", "柔软的美利奴羊毛罗纹针织帽。", 2400, 15},
	{"leather-wallet", "Leather wallet", "真皮钱包", "A slim wallet in vegetable-tanned leather with six card slots.", "植鞣真皮薄款钱包，设有六个卡位。", 4500, 8},
	{"enamel-pin", "Panda enamel pin", "熊猫徽章", "A hard enamel pin of a panda eating bamboo.", "一枚硬珐琅熊猫吃竹子徽章。", 650, 3},
	{"canvas-tote", "Canvas tote", "帆布托特包", "A heavy cotton canvas tote with an inside pocket.", "厚实的纯棉帆布托特包，带内袋。", 1500, 18},
	{"desk-plant", "Desk succulent", "桌面多肉", "A small succulent in a clay pot. Water it once a fortnight.", "陶盆装小多肉植物，两周浇一次水即可。", 990, 10},
	{"travel-adapter", "Travel adapter", "旅行转换插头", "One adapter for outlets in more than 150 countries, with two USB ports.", "一个插头通用150多个国家，附两个USB接口。", 2200, 14},
	{"chocolate-box", "Dark chocolate box", "黑巧克力礼盒", "Sixteen squares of 70 percent dark chocolate in a gift box.", "礼盒装十六块可可含量百分之七十的黑巧克力。", 1600, 9},
	{"postcard-set", "City postcard set", "城市明信片套装", "Twelve postcards of city streets, printed on thick card.", "十二张城市街景明信片，厚卡纸印刷。", 800, 22},
}

// demoCategories file the demo catalog's products by their slugs, so that
// a fresh shop shows its categories.
var demoCategories = []struct {
	slug, name, nameZH string
	products           []string
}{
	{"tea-kitchen", "Tea & kitchen", "茶具与厨房", []string{"tea-set", "ceramic-mug", "chocolate-box"}},
	{"accessories", "Accessories", "服饰配件", []string{"silk-scarf", "wool-beanie", "leather-wallet", "enamel-pin", "canvas-tote"}},
	{"stationery", "Stationery", "文具", []string{"bamboo-notebook", "postcard-set"}},
	{"home-travel", "Home & travel", "家居与旅行", []string{"desk-plant", "travel-adapter"}},
}

// SeedCatalog inserts the demo catalog priced in currency when the products
// table is empty, and does nothing otherwise. exponent is the currency's
// number of decimals: 2 for USD, 0 for JPY (prices then read as whole units:
// 1250 cents become 1250 yen).
func (db *DB) SeedCatalog(ctx context.Context, currency string, exponent int) error {
	return db.seed(ctx, currency, exponent, false)
}

// SeedDemo is SeedCatalog with the products filed in categories, in the
// same transaction: the shop's first start. A merchant who deletes the
// categories later does not see them come back, since the products table
// is no longer empty.
func (db *DB) SeedDemo(ctx context.Context, currency string, exponent int) error {
	return db.seed(ctx, currency, exponent, true)
}

func (db *DB) seed(ctx context.Context, currency string, exponent int, categories bool) error {
	if !currencyCode.MatchString(currency) {
		return fmt.Errorf("seed catalog: %q: %w", currency, ErrCurrency)
	}
	scale, err := seedScale(exponent)
	if err != nil {
		return fmt.Errorf("seed catalog: %w", err)
	}
	products := make([]Product, 0, len(catalog))
	for _, s := range catalog {
		products = append(products, Product{
			Slug: s.slug, Name: s.name, NameZH: s.nameZH,
			Description: s.desc, DescriptionZH: s.descZH,
			PriceMinor: s.cents * scale, Currency: currency, Stock: s.stock,
			Image: "/assets/img/" + s.slug + ".svg",
		})
	}
	err = db.transaction(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Product{}).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		// Instances starting together on an empty catalog may both get
		// here: the second one's rows are each a conflict on the slug and
		// are skipped, so the catalog is seeded once.
		onSlug := clause.OnConflict{Columns: []clause.Column{{Name: "slug"}}, DoNothing: true}
		if err := tx.Clauses(onSlug).Create(&products).Error; err != nil {
			return err
		}
		if !categories {
			return nil
		}
		now := tx.NowFunc()
		for i, dc := range demoCategories {
			c := Category{Slug: dc.slug, Name: dc.name, NameZH: dc.nameZH, SortOrder: i, CreatedAt: now, UpdatedAt: now}
			if err := tx.Clauses(onSlug).Create(&c).Error; err != nil {
				return err
			}
			if err := tx.Where("slug = ?", dc.slug).Take(&c).Error; err != nil {
				return err
			}
			err := tx.Model(&Product{}).Where("slug IN ? AND category_id IS NULL", dc.products).
				Update("category_id", c.ID).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed catalog: %w", err)
	}
	return nil
}

// seedScale turns the two-decimal seed prices into a currency's minor units.
func seedScale(exponent int) (int64, error) {
	switch exponent {
	case 0, 2:
		return 1, nil
	case 3:
		return 10, nil
	}
	return 0, fmt.Errorf("unsupported currency exponent %d", exponent)
}

// Products returns what the shop sells: the products not hidden, with
// their categories, in the merchant's order (sort order, then id).
func (db *DB) Products(ctx context.Context) ([]Product, error) {
	var ps []Product
	err := db.gorm.WithContext(ctx).Preload("Category").Where("NOT hidden").Order("sort_order, id").Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return ps, nil
}

// AllProducts returns the whole catalog, hidden products included, with
// their categories, in the merchant's order: the admin's list.
func (db *DB) AllProducts(ctx context.Context) ([]Product, error) {
	var ps []Product
	if err := db.gorm.WithContext(ctx).Preload("Category").Order("sort_order, id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return ps, nil
}

// Categories returns the categories in the merchant's order.
func (db *DB) Categories(ctx context.Context) ([]Category, error) {
	var cs []Category
	if err := db.gorm.WithContext(ctx).Order("sort_order, id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	return cs, nil
}

// ProductBySlug returns the product with the given slug, with its
// category, or ErrNotFound. Hidden products are returned too: the caller
// decides who may see them.
func (db *DB) ProductBySlug(ctx context.Context, slug string) (*Product, error) {
	var p Product
	err := db.gorm.WithContext(ctx).Preload("Category").Where("slug = ?", slug).Take(&p).Error
	if err != nil {
		return nil, fmt.Errorf("product %q: %w", slug, notFound(err))
	}
	return &p, nil
}

// ProductsByID returns the products with the given IDs, keyed by ID.
// Unknown IDs are absent from the map.
func (db *DB) ProductsByID(ctx context.Context, ids []uint) (map[uint]Product, error) {
	m, err := productsByID(db.gorm.WithContext(ctx), ids)
	if err != nil {
		return nil, fmt.Errorf("products by id: %w", err)
	}
	return m, nil
}

func productsByID(tx *gorm.DB, ids []uint) (map[uint]Product, error) {
	m := make(map[uint]Product, len(ids))
	if len(ids) == 0 {
		return m, nil
	}
	var ps []Product
	if err := tx.Where("id IN ?", ids).Find(&ps).Error; err != nil {
		return nil, err
	}
	for _, p := range ps {
		m[p.ID] = p
	}
	return m, nil
}

// CurrencyError reports a catalog priced in currencies other than the
// shop's settlement currency: orders from it could never be paid.
type CurrencyError struct {
	Want   string   // the settlement currency
	Stored []string // the currencies the products are priced in
}

// Error names both sides.
func (e *CurrencyError) Error() string {
	return fmt.Sprintf("the catalog is priced in %s, not %s", strings.Join(e.Stored, ", "), e.Want)
}

// Is makes errors.Is(err, ErrCurrency) true.
func (e *CurrencyError) Is(target error) bool { return target == ErrCurrency }

// CheckCatalogCurrency returns a *CurrencyError when any product is priced
// in a currency other than currency. An empty catalog passes.
func (db *DB) CheckCatalogCurrency(ctx context.Context, currency string) error {
	var stored []string
	err := db.gorm.WithContext(ctx).Model(&Product{}).Distinct("currency").Order("currency").Pluck("currency", &stored).Error
	if err != nil {
		return fmt.Errorf("catalog currency: %w", err)
	}
	if len(stored) == 0 || (len(stored) == 1 && stored[0] == currency) {
		return nil
	}
	return &CurrencyError{Want: currency, Stored: stored}
}
