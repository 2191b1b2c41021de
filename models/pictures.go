package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// PicturesOf returns the pictures of the given products, keyed by product,
// each product's in order, with their files' sizes and hashes but not
// their bytes (see PictureFileByHash).
func (db *DB) PicturesOf(ctx context.Context, productIDs []uint) (map[uint][]Picture, error) {
	out := map[uint][]Picture{}
	if len(productIDs) == 0 {
		return out, nil
	}
	var ps []Picture
	err := db.gorm.WithContext(ctx).
		Preload("Files", func(tx *gorm.DB) *gorm.DB {
			return tx.Select("id", "picture_id", "width", "height", "content_type", "hash").Order("width")
		}).
		Where("product_id IN ?", productIDs).Order("product_id, position, id").Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("pictures: %w", err)
	}
	for _, p := range ps {
		out[p.ProductID] = append(out[p.ProductID], p)
	}
	return out, nil
}

// PictureFileByHash returns the picture file whose content hashes to hash,
// bytes included, or ErrNotFound.
func (db *DB) PictureFileByHash(ctx context.Context, hash string) (*PictureFile, error) {
	var f PictureFile
	if err := db.gorm.WithContext(ctx).Where("hash = ?", hash).Take(&f).Error; err != nil {
		return nil, fmt.Errorf("picture %s: %w", hash, notFound(err))
	}
	return &f, nil
}
