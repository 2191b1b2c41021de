package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

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

// Bounds of a product's pictures.
const (
	MaxPictures = 20  // pictures of one product
	MaxAltLen   = 250 // characters of a picture's alternative text
)

// Errors of the pictures' admin.
var (
	// ErrDuplicatePicture: a file of the picture is stored already (the
	// same picture uploaded twice). A *DuplicatePictureError says where.
	ErrDuplicatePicture = errors.New("the picture is stored already")
	// ErrTooManyPictures: the product has MaxPictures pictures already.
	ErrTooManyPictures = fmt.Errorf("a product has at most %d pictures", MaxPictures)
)

// DuplicatePictureError reports a picture whose file is stored already:
// each file is served at its content's hash, so it can belong to one
// picture only. errors.Is(err, ErrDuplicatePicture) is true for it.
type DuplicatePictureError struct {
	// ProductID, PictureID and Position say which picture has the file;
	// all are 0 when another upload stored it at the same moment.
	ProductID, PictureID uint
	Position             int
}

// Error says where the picture is.
func (e *DuplicatePictureError) Error() string {
	if e.PictureID == 0 {
		return ErrDuplicatePicture.Error()
	}
	return fmt.Sprintf("%s: picture %d of product %d", ErrDuplicatePicture, e.PictureID, e.ProductID)
}

// Is makes errors.Is(err, ErrDuplicatePicture) true.
func (e *DuplicatePictureError) Is(target error) bool { return target == ErrDuplicatePicture }

// AddPicture stores a picture of a product, with its files, after the
// product's other pictures, and audits it (a's Target and Detail are
// filled in) in the same transaction. Each file's Hash must be the hex
// SHA-256 of its Data: it is checked, since the file is served for ever
// at a URL made of it. A file stored already gives a
// *DuplicatePictureError and stores nothing.
func (db *DB) AddPicture(ctx context.Context, productID uint, alt string, files []PictureFile, a AuditEntry) (*Picture, error) {
	alt = strings.TrimSpace(alt)
	if err := checkPicture(alt, files); err != nil {
		return nil, fmt.Errorf("add picture to product %d: %w", productID, err)
	}
	var pic Picture
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		p, err := lockPictures(tx, productID)
		if err != nil {
			return err
		}
		if err := storedAlready(tx, files); err != nil {
			return err
		}
		var has struct{ N, Last int }
		err = tx.Model(&Picture{}).Where("product_id = ?", productID).
			Select("COUNT(*) AS n, COALESCE(MAX(position), 0) AS last").Scan(&has).Error
		if err != nil {
			return err
		}
		if has.N >= MaxPictures {
			return ErrTooManyPictures
		}
		// Fresh values on every attempt: a run again must not reuse ids.
		pic = Picture{ProductID: productID, Position: has.Last + 1, Alt: alt, CreatedAt: tx.NowFunc()}
		if err := tx.Omit("Files").Create(&pic).Error; err != nil {
			return err
		}
		// A plain insert, so that a file another upload stored meanwhile
		// is the unique index's error rather than a row skipped.
		pic.Files = make([]PictureFile, len(files))
		for i, f := range files {
			f.ID, f.PictureID = 0, pic.ID
			pic.Files[i] = f
		}
		if err := tx.Create(&pic.Files).Error; err != nil {
			return err
		}
		a.Target, a.Detail = "product "+p.Slug, fmt.Sprintf("picture %d at position %d: %s", pic.ID, pic.Position, pictureSummary(&pic))
		return audit(tx, a)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		err = &DuplicatePictureError{}
	}
	if err != nil {
		return nil, fmt.Errorf("add picture to product %d: %w", productID, err)
	}
	return &pic, nil
}

// checkPicture checks a new picture's alternative text and files.
func checkPicture(alt string, files []PictureFile) error {
	if utf8.RuneCountInString(alt) > MaxAltLen || !utf8.ValidString(alt) || strings.ContainsFunc(alt, unicode.IsControl) {
		return fmt.Errorf("alternative text: %w", ErrInvalid)
	}
	if len(files) == 0 {
		return fmt.Errorf("no files: %w", ErrInvalid)
	}
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		if f.Hash != hex.EncodeToString(sum[:]) || f.Width < 1 || f.Height < 1 || f.ContentType == "" {
			return fmt.Errorf("file %dx%d %s: hash or size wrong: %w", f.Width, f.Height, f.ContentType, ErrInvalid)
		}
	}
	return nil
}

// storedAlready returns a *DuplicatePictureError if any of files is
// stored.
func storedAlready(tx *gorm.DB, files []PictureFile) error {
	hashes := make([]string, len(files))
	for i, f := range files {
		hashes[i] = f.Hash
	}
	var hit DuplicatePictureError
	err := tx.Table("picture_files").Joins("JOIN pictures ON pictures.id = picture_files.picture_id").
		Where("picture_files.hash IN ?", hashes).Order("pictures.id").Limit(1).
		Select("pictures.product_id AS product_id, pictures.id AS picture_id, pictures.position AS position").Scan(&hit).Error
	if err != nil {
		return err
	}
	if hit.PictureID != 0 {
		return &hit
	}
	return nil
}

// DeletePicture deletes a picture of a product, with its files, moves the
// pictures after it up a place, and audits it (a's Target and Detail are
// filled in) in the same transaction.
func (db *DB) DeletePicture(ctx context.Context, productID, pictureID uint, a AuditEntry) error {
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		p, err := lockPictures(tx, productID)
		if err != nil {
			return err
		}
		pics, i, err := picturesAround(tx, productID, pictureID)
		if err != nil {
			return err
		}
		gone := pics[i]
		if err := tx.Where("picture_id = ?", pictureID).Delete(&PictureFile{}).Error; err != nil {
			return err
		}
		if err := tx.Delete(&Picture{}, pictureID).Error; err != nil {
			return err
		}
		if err := renumber(tx, append(pics[:i:i], pics[i+1:]...)); err != nil {
			return err
		}
		a.Target, a.Detail = "product "+p.Slug, fmt.Sprintf("picture %d at position %d: alt %q", gone.ID, gone.Position, gone.Alt)
		return audit(tx, a)
	})
	if err != nil {
		return fmt.Errorf("delete picture %d of product %d: %w", pictureID, productID, err)
	}
	return nil
}

// MovePicture moves a picture of a product by places among the
// product's pictures: -1 is one place earlier (up), 1 one place later,
// stopping at the first and the last place. A move is audited (a's Target
// and Detail are filled in) in the same transaction; a picture already
// at the end it is moved towards stays, and nothing is audited.
func (db *DB) MovePicture(ctx context.Context, productID, pictureID uint, by int, a AuditEntry) error {
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		p, err := lockPictures(tx, productID)
		if err != nil {
			return err
		}
		pics, i, err := picturesAround(tx, productID, pictureID)
		if err != nil {
			return err
		}
		j := min(max(i+by, 0), len(pics)-1)
		if j == i {
			return nil
		}
		moved := pics[i]
		pics = slices.Insert(slices.Delete(pics, i, i+1), j, moved)
		if err := renumber(tx, pics); err != nil {
			return err
		}
		a.Target, a.Detail = "product "+p.Slug, fmt.Sprintf("picture %d from position %d to %d", moved.ID, i+1, j+1)
		return audit(tx, a)
	})
	if err != nil {
		return fmt.Errorf("move picture %d of product %d: %w", pictureID, productID, err)
	}
	return nil
}

// lockPictures reads a product and locks its row until the transaction
// ends (on PostgreSQL; SQLite's write lock covers it), so that changes
// to its pictures' positions happen one at a time.
func lockPictures(tx *gorm.DB, productID uint) (*Product, error) {
	var p Product
	if err := forUpdate(tx).Select("id", "slug").Take(&p, productID).Error; err != nil {
		return nil, fmt.Errorf("product %d: %w", productID, notFound(err))
	}
	return &p, nil
}

// picturesAround returns a product's pictures in order, without their
// files, and the index of pictureID among them, or ErrNotFound.
func picturesAround(tx *gorm.DB, productID, pictureID uint) ([]Picture, int, error) {
	var pics []Picture
	if err := tx.Where("product_id = ?", productID).Order("position, id").Find(&pics).Error; err != nil {
		return nil, 0, err
	}
	i := slices.IndexFunc(pics, func(p Picture) bool { return p.ID == pictureID })
	if i < 0 {
		return nil, 0, fmt.Errorf("picture %d: %w", pictureID, ErrNotFound)
	}
	return pics, i, nil
}

// renumber gives pics the positions 1, 2, 3… in their order.
func renumber(tx *gorm.DB, pics []Picture) error {
	for k, p := range pics {
		if p.Position == k+1 {
			continue
		}
		if err := tx.Model(&Picture{}).Where("id = ?", p.ID).Update("position", k+1).Error; err != nil {
			return err
		}
	}
	return nil
}

// pictureSummary describes a picture's files and alternative text for the
// audit log.
func pictureSummary(p *Picture) string {
	sizes := make([]string, len(p.Files))
	for i, f := range p.Files {
		sizes[i] = fmt.Sprintf("%d×%d %s", f.Width, f.Height, f.ContentType)
	}
	return fmt.Sprintf("%s; alt %q", strings.Join(sizes, ", "), p.Alt)
}
